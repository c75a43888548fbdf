// Secrets that ordinary substring masking of serialized text missed (issue 12, item 1).
export const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  '-----END PRIVATE KEY-----',
].join('\n');
export const JSON_CREDENTIAL = JSON.stringify(
  { type: 'service_account', private_key_id: 'f3c9a1b2c3d4e5f6', client_email: 'bot@x.iam' },
  null,
  2,
);
export const BACKSLASHES = 'C:\\vault\\p@ss\\w0rd';
export const TABS = 'tab\tseparated\tsecret';
export const UNICODE = 'pässwörd-ñandú-密码';
