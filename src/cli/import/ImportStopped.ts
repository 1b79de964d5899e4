/** The server refused the token or can't be reached: nothing more is sent. */
export class ImportStopped extends Error {}
