/** Tessera's version, recorded in artifacts (kept in step with package.json by a test). */
export const TESSERA_VERSION = "0.1.0";
