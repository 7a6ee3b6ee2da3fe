// Public surface of the PostgreSQL wire codec (pure: no I/O, no project imports).
export * from './authentication.js';
export * from './buffer-reader.js';
export * from './buffer-writer.js';
export * from './error-response.js';
export * from './message-buffer.js';
export * from './message-stream.js';
export * from './protocol-error.js';
export * from './session-start.js';
export * from './startup.js';
