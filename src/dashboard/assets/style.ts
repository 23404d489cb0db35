/** The dashboard's style: high contrast (WCAG AA on every tone), state shown by text and marks too, never colour alone. */
export const APP_CSS = String.raw`
:root { color-scheme: light; --fg: #111; --muted: #444; --line: #bbb; --bg: #fff; --panel: #f4f5f7; --focus: #0b57d0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px; z-index: 2; }
header { display: flex; gap: 16px; align-items: center; padding: 8px 16px; background: #1f2937; color: #fff; }
header h1 { margin: 0; font-size: 18px; } header h1 a { color: #fff; text-decoration: none; }
#health { font-weight: 600; padding: 2px 8px; border-radius: 4px; }
#health.healthy { background: #d1fae5; color: #064e3b; } #health.unhealthy { background: #fee2e2; color: #7f1d1d; }
.conn { color: #fde68a; font-size: 12px; }
main { padding: 12px 16px; }
main:focus { outline: none; }
h2 { font-size: 16px; margin: 18px 0 6px; }
a { color: #0b4aa8; } a:focus, button:focus, select:focus, input:focus { outline: 3px solid var(--focus); outline-offset: 1px; }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
.grid { table-layout: fixed; } /* 500 rows lay out in one pass: widths come from the first row */
.grid th:first-child { width: 160px; } .grid th:nth-child(2) { width: 210px; } .grid th.node { width: 130px; }
.grid td, .grid th { overflow: hidden; text-overflow: ellipsis; }
.grid td.cell { min-width: 92px; font-weight: 600; white-space: nowrap; }
.grid th.node small { display: block; font-weight: 400; color: var(--muted); }
.grid td small[data-takeover], .grid td small.takeover { display: block; }
.tone-ok { background: #d1fae5; color: #064e3b; }
.tone-warn { background: #fef3c7; color: #78350f; }
.tone-standby { background: #e0e7ff; color: #1e3a8a; }
.tone-bad { background: #fecaca; color: #7f1d1d; }
.tone-unknown { background: #e5e7eb; color: #1f2937; }
.node-Dead { background: #fecaca; color: #7f1d1d; } .node-Alive { background: #d1fae5; color: #064e3b; }
td.blank { background: repeating-linear-gradient(45deg, #fff, #fff 4px, #f1f1f1 4px, #f1f1f1 8px); }
.active-mark { margin-left: 4px; }
.problems { margin: 4px 0; padding-left: 20px; color: #7f1d1d; }
.mirror { margin: 2px 0; font-family: ui-monospace, Consolas, monospace; }
progress { vertical-align: middle; width: 90px; }
.bar { display: inline-block; height: 10px; background: #b91c1c; vertical-align: middle; min-width: 2px; }
.cols { display: flex; flex-wrap: wrap; gap: 24px; } .cols > section { flex: 1 1 420px; min-width: 0; }
.strip { position: relative; height: 18px; background: #d1fae5; border: 1px solid #666; margin: 4px 0; }
.strip span { position: absolute; top: 0; bottom: 0; background: #b91c1c; }
/* Below the grid: laid out and painted when scrolled near, so a big cluster's first paint is the grid's. */
.below { content-visibility: auto; contain-intrinsic-size: auto 600px; }
.muted { color: var(--muted); }
.code { font-family: ui-monospace, Consolas, monospace; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; padding: 8px; background: var(--panel); }
button { font: inherit; padding: 3px 10px; }
.msg { font-weight: 600; }
`;
