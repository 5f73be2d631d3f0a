/**
 * The filesystem pack's containment layer: `Sandbox` (see sandbox.ts and
 * verified-open.ts for the rules).
 */
export { Sandbox } from './sandbox.js';
export type { EntryInfo, EntryType, Located, RootInfo, SandboxOptions, ScannedFile, ScanOptions, ScanSummary, StatResult, WalkEntry, WalkOptions, WalkSummary } from './types.js';
export { MAX_NAME_BYTES, MAX_PATH_BYTES } from './path-input.js';
