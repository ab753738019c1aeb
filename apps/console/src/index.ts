export * from './console.module';
export * from './http/console-http';
export * from './staff/staff.service';
export { generatePassword } from './staff/password';
