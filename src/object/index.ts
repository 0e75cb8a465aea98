export {
  loadObject, verifyProgram, internalMapName, objectNameFromPath, compareBytes,
  BpfObject, BpfMap, BpfProgram, type LoadObjectOptions, type RodataValue,
} from './object.js';
