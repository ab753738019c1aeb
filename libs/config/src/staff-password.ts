/**
 * The console password a scripted set-up gives the CLI (`staff:create`) in TSUNAGU_STAFF_PASSWORD;
 * undefined means "generate one and show it once". Read here so that, like every other setting,
 * nothing outside libs/config reads the environment; the console's own rules check its strength.
 */
export function loadStaffPassword(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.TSUNAGU_STAFF_PASSWORD;
  return value ? value : undefined;
}
