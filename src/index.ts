// Library entry point (package "exports"): mint RDS-compatible IAM database auth tokens from code.
export {
  AUTH_TOKEN_LIFETIME_SECONDS,
  type AuthTokenCredentials,
  type AuthTokenInput,
  generateAuthToken,
} from './auth/iam-token/generate.js';
export { type AuthTokenProviderOptions, createAuthTokenProvider } from './auth/iam-token/provider.js';
