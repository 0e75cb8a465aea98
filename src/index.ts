export { verify, verifyOrThrow, MAP_TYPE_IDS, type VerifyOptions, type VerifyResult, type VerifierMap } from './verifier/index.js';
export { installHelperProtos, HELPER_PROTOS } from './helpers/protos.js';
