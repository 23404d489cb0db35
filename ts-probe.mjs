import { Parser, Language } from 'web-tree-sitter';
import { SCRIPTS } from './dist/src/drivers/windows/powershell-scripts.js';
await Parser.init();
const lang = await Language.load('node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm');
const p = new Parser(); p.setLanguage(lang);
function errs(src){ const t=p.parse(src); const out=[]; const walk=n=>{ if(n.type==='ERROR'||n.isMissing) out.push(`${n.type}${n.isMissing?'(missing)':''} @${n.startPosition.row+1}:${n.startPosition.column} ${JSON.stringify(src.split('\n')[n.startPosition.row])}`); for(const c of n.children) walk(c);}; walk(t.rootNode); return out;}
for (const [k,s] of Object.entries(SCRIPTS)) { const e=errs(s); console.log(k, s.length, e.slice(0,5)); }
