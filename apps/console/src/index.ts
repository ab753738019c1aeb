export * from './console.module';
export * from './http/console-http';
export * from './staff/staff.service';
export { STAFF_PROVIDERS } from './staff/staff.providers';
export { generatePassword } from './staff/password';
