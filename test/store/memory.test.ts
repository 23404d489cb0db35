import { VirtualClock } from '../../src/lib/clock.js';
import { SeededRandom } from '../../src/lib/random.js';
import { MemoryStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/index.js';
import { storeContract, type Harness } from './contract.js';

storeContract({
  name: 'memory://',
  async create({ historyLimit }): Promise<Harness> {
    const clock = new VirtualClock();
    const random = new SeededRandom(42);
    const base = new MemoryStore('memory://', { clock, random, historyLimit });
    const open: Store[] = [];
    let first = true;
    return {
      async connect() {
        const s = first ? base : base.connect({ clock, random });
        first = false;
        open.push(s);
        return s;
      },
      advance: (ms) => clock.advance(ms),
      async cleanup() {
        for (const s of open) await s.close();
      },
    };
  },
});
