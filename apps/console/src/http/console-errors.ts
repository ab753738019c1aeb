/** Not signed in (or the session ended): answered with a redirect to the sign-in page. */
export class ConsoleSignInRequired extends Error {
  constructor() {
    super('sign-in required');
  }
}

/** The synchronizer token was missing or wrong on a state-changing request. */
export class CsrfRejected extends Error {
  constructor() {
    super('csrf token rejected');
  }
}

/** The role does not allow this page or action. */
export class ConsoleForbidden extends Error {
  constructor() {
    super('forbidden');
  }
}
