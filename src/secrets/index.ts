// Secrets at rest: the keyring that seals account passwords, OAuth2 tokens,
// DKIM keys and reply-token keys (AES-256-GCM, key from MAILROOM_SECRET_KEY or
// a 0600 key file) and console passwords (scrypt). Rotation, which re-seals what
// the store holds, is an operation (operations/key-rotation.ts).
export {
  Keyring,
  loadKeyring,
  keyringSource,
  parseKey,
  keyFromBytes,
  keyFilePath,
  SecretError,
  KEY_FILE,
  type SecretKey,
  type KeySettings,
} from './keyring.ts';
export { hashPassword, verifyPassword, NO_USER_HASH } from './passwords.ts';
export { weakPasswordReason, MIN_PASSWORD_SCORE } from './password-strength.ts';
