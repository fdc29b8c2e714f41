/**
 * The syntax tree of the shell scripts the interpreter runs: a small, POSIX-shaped subset of
 * `sh`/`bash` (lists, and-or chains, pipelines, `if`, `while`/`until`, `for`, `case`, groups,
 * subshells, functions, redirections, parameter/arithmetic/command expansion).
 *
 * @module
 */

/** One piece of a word; `quoted` pieces are not field-split. */
export type WordPart =
  | { readonly k: 'lit'; readonly v: string; readonly quoted: boolean }
  | {
      readonly k: 'param';
      /** The variable name, or a special parameter (`?`, `#`, `$`, `@`, `*`, `0`..`9`). */
      readonly name: string;
      readonly quoted: boolean;
      /** `${#name}`: the length. */
      readonly length?: boolean;
      /** `${name[index]}`: the array subscript, as a word (`@` and `*` mean every element). */
      readonly index?: Word | undefined;
      /** `${name:-word}` and friends. */
      readonly op?: ':-' | '-' | ':=' | '=' | ':+' | '+' | ':?' | '?' | undefined;
      readonly arg?: Word | undefined;
    }
  | { readonly k: 'arith'; readonly expr: Word; readonly quoted: boolean }
  | { readonly k: 'subst'; readonly script: Script; readonly quoted: boolean };

/** A word: its parts, concatenated after expansion. */
export type Word = readonly WordPart[];

/** A redirection of a file descriptor. */
export interface Redirect {
  readonly fd: number;
  /** `>` truncate, `>>` append, `<` read, `>&` duplicate (target is a fd number word). */
  readonly op: '>' | '>>' | '<' | '>&';
  readonly target: Word;
  /** A here-document (`<<EOF`): `target` is the text itself, not a path. */
  readonly heredoc?: boolean | undefined;
}

/** A variable assignment (`X=1`, `items=(a b c)`). */
export interface Assignment {
  readonly name: string;
  readonly value: Word | undefined;
  /** `name=(a b c)`: an indexed array. */
  readonly array?: readonly Word[] | undefined;
}

/** A command node. `line` is the script line the command starts on (for bash's messages). */
export type Command =
  | { readonly k: 'simple'; readonly assigns: readonly Assignment[]; readonly words: readonly Word[]; readonly redirects: readonly Redirect[]; readonly line: number }
  | { readonly k: 'pipeline'; readonly commands: readonly Command[]; readonly bang: boolean }
  | { readonly k: 'andor'; readonly op: '&&' | '||'; readonly left: Command; readonly right: Command }
  | { readonly k: 'list'; readonly items: readonly Command[] }
  | { readonly k: 'if'; readonly clauses: readonly { readonly cond: Command; readonly body: Command }[]; readonly otherwise: Command | undefined; readonly redirects: readonly Redirect[] }
  | { readonly k: 'loop'; readonly until: boolean; readonly cond: Command; readonly body: Command; readonly redirects: readonly Redirect[] }
  | { readonly k: 'arith'; readonly expr: Word; readonly line: number }
  | { readonly k: 'arithfor'; readonly init: Word; readonly cond: Word; readonly step: Word; readonly body: Command; readonly redirects: readonly Redirect[] }
  | { readonly k: 'for'; readonly name: string; readonly items: readonly Word[] | undefined; readonly body: Command; readonly redirects: readonly Redirect[] }
  | { readonly k: 'case'; readonly subject: Word; readonly arms: readonly { readonly patterns: readonly Word[]; readonly body: Command }[]; readonly redirects: readonly Redirect[] }
  | { readonly k: 'group'; readonly body: Command; readonly subshell: boolean; readonly redirects: readonly Redirect[] }
  | { readonly k: 'function'; readonly name: string; readonly body: Command };

/** A parsed script: a list of commands. */
export type Script = Command;
