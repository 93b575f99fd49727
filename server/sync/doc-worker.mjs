// Worker-thread entry for a room's document engine (doc-engine.ts). The server runs its
// TypeScript through tsx; a worker thread needs the loader registered in its own thread.
import { register } from 'tsx/esm/api';

register();
await import('./doc-worker.ts');
