// The client went away (EOF or reset) before relaying: normal during authentication (psql closes after the
// password request to prompt, then reconnects), recorded as an abandoned attempt rather than a refusal.
export class ClientGoneError extends Error {
  constructor() {
    super('client closed the connection');
    this.name = 'ClientGoneError';
  }
}
