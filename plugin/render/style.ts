// Colour, as kubectl's own plugins use it: only on a terminal, never when NO_COLOR is set
// (no-color.org) or TERM is dumb, so piped output and logs stay plain text.
export type Paint = (text: string) => string;

export interface Style {
  enabled: boolean;
  bold: Paint;
  green: Paint;
  yellow: Paint;
  red: Paint;
  cyan: Paint;
}

export function colourWanted(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  return isTTY && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
}

const sgr = (code: number): Paint => (text) => (text === '' ? text : `\u001b[${code}m${text}\u001b[0m`);
const plain: Paint = (text) => text;

export function style(enabled: boolean): Style {
  return enabled
    ? { enabled, bold: sgr(1), green: sgr(32), yellow: sgr(33), red: sgr(31), cyan: sgr(36) }
    : { enabled, bold: plain, green: plain, yellow: plain, red: plain, cyan: plain };
}

/** The colour of a phase word: settled green, moving yellow, broken red, switched off cyan. */
export function phasePaint(s: Style, phase: string | undefined): Paint {
  switch (phase) {
    case 'Ready':
    case 'Running':
    case 'Bound':
      return s.green;
    case 'Degraded':
    case 'Stuck':
    case 'Failed':
    case 'Lost':
      return s.red;
    case 'Paused':
    case 'Hibernated':
    case 'Waiting':
    case 'UpdatePending':
      return s.cyan;
    case undefined:
      return (t) => t;
    default:
      return s.yellow;
  }
}

/** Visible width: what a terminal shows, without colour codes. */
export function visibleLength(text: string): number {
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
