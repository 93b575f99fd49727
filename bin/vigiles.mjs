#!/usr/bin/env node
// The `vigiles` command: runs the TypeScript CLI through tsx's loader (Node 20 cannot strip types itself).
import { register } from 'tsx/esm/api';

register();
await import('../server/cli.ts');
