/** What the main thread and the embedded database's thread say to each other. */
export type ToWorker = { op: 'open'; id: number } | { op: 'data'; id: number; bytes: Uint8Array } | { op: 'close'; id: number };

export type FromWorker = { op: 'ready' } | { op: 'data'; id: number; bytes: Uint8Array } | { op: 'failed'; message: string };
