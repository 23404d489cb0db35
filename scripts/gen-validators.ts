/** Writes dist/src/validate/compiled-validators.js (see src/validate/compile-schemas.ts). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateValidatorModule } from '../src/validate/compile-schemas.js';

const target = fileURLToPath(new URL('../src/validate/compiled-validators.js', import.meta.url));
writeFileSync(target, generateValidatorModule());
