/**
 * `winha completion bash|zsh|powershell`: a completion script generated from
 * the command tree itself (commander has none built in), so a new command or
 * flag is completed without editing a hand-written script. It completes
 * commands, subcommands and their long options; values are left to the shell.
 */
import type { Command } from 'commander';

export const SHELLS = ['bash', 'zsh', 'powershell'] as const;
export type Shell = (typeof SHELLS)[number];

interface Node {
  /** Space-separated command path: '' for winha itself, 'sim world' for a subcommand. */
  path: string;
  words: string[];
}

const visible = (c: Command): Command[] =>
  c.commands.filter((s) => !(s as unknown as { _hidden?: boolean })._hidden && s.name() !== 'help');

function longOptions(c: Command): string[] {
  return [...c.options.map((o) => o.long).filter((l): l is string => !!l), '--help'];
}

/** Every command path with the words that may follow it, and the options that take a value. */
export function commandTree(program: Command): { nodes: Node[]; valued: string[] } {
  const nodes: Node[] = [];
  const valued = new Set<string>();
  const walk = (c: Command, path: string) => {
    for (const o of c.options) if (o.required || o.optional) for (const f of [o.long, o.short]) if (f) valued.add(f);
    nodes.push({ path, words: [...visible(c).map((s) => s.name()), ...longOptions(c)] });
    for (const s of visible(c)) walk(s, path ? `${path} ${s.name()}` : s.name());
  };
  walk(program, '');
  return { nodes, valued: [...valued].sort() };
}

// Command and option names are [a-z0-9-]: nothing in them needs quoting in any of the three shells.
function bash(program: Command): string {
  const { nodes, valued } = commandTree(program);
  const paths = nodes.filter((n) => n.path !== '').map((n) => `"${n.path}"`);
  return `# winha completion for bash: source <(winha completion bash), or save it in /etc/bash_completion.d/winha
_winha() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w next skip=0 i words=""
  local valued=" ${valued.join(' ')} "
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ $skip == 1 ]]; then skip=0; continue; fi
    case "$w" in
      --*=*) continue ;;
      -*) [[ "$valued" == *" $w "* ]] && skip=1; continue ;;
    esac
    next="\${path:+$path }$w"
    case "$next" in
      ${paths.join('|')}) path="$next" ;;
    esac
  done
  case "$path" in
${nodes.map((n) => `    "${n.path}") words="${n.words.join(' ')}" ;;`).join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _winha winha
`;
}

function zsh(program: Command): string {
  return `#compdef winha
# winha completion for zsh: source <(winha completion zsh) (uses zsh's bash completion layer)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bash(program)}`;
}

function powershell(program: Command): string {
  const { nodes, valued } = commandTree(program);
  const table = nodes.map((n) => `    '${n.path}' = @(${n.words.map((w) => `'${w}'`).join(', ')})`).join('\n');
  return `# winha completion for PowerShell: winha completion powershell | Out-String | Invoke-Expression (or add it to $PROFILE)
Register-ArgumentCompleter -Native -CommandName winha, winha.exe -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $tree = @{
${table}
  }
  $valued = @(${valued.map((v) => `'${v}'`).join(', ')})
  $path = ''
  $skip = $false
  $elements = $commandAst.CommandElements | Select-Object -Skip 1 | Where-Object { $_.Extent.EndOffset -lt $cursorPosition }
  foreach ($e in $elements) {
    $w = $e.ToString()
    if ($skip) { $skip = $false; continue }
    if ($w.StartsWith('-')) { if ($valued -contains $w) { $skip = $true }; continue }
    $next = if ($path) { "$path $w" } else { $w }
    if ($tree.ContainsKey($next)) { $path = $next }
  }
  $tree[$path] | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }
}
`;
}

export function completionScript(program: Command, shell: Shell): string {
  return shell === 'bash' ? bash(program) : shell === 'zsh' ? zsh(program) : powershell(program);
}
