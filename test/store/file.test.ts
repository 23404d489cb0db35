import { storeContract } from './contract.js';
import { fileHarness } from './file-harness.js';

storeContract({ name: 'file://', create: ({ historyLimit }) => fileHarness(historyLimit) });
