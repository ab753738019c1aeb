/** A missing or unusable prerequisite, told to the user as it is (no stack trace). */
export class InfraError extends Error {}
