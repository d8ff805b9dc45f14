import { createContext, useContext } from 'react';

/** Colours by meaning; with NO_COLOR / --no-color every colour is undefined and meaning rides on text. */
export interface Theme {
  color: boolean;
  ok?: string;
  warn?: string;
  crit?: string;
  dim?: string;
  accent?: string;
  header?: string;
}

export function makeTheme(color: boolean): Theme {
  if (!color) return { color: false };
  return { color: true, ok: 'green', warn: 'yellow', crit: 'red', dim: 'gray', accent: 'cyan', header: 'blue' };
}

export const ThemeContext = createContext<Theme>(makeTheme(false));
export const useTheme = (): Theme => useContext(ThemeContext);

export function levelColor(theme: Theme, level: 0 | 1 | 2 | 'ok' | 'warn' | 'crit'): string | undefined {
  if (level === 2 || level === 'crit') return theme.crit;
  if (level === 1 || level === 'warn') return theme.warn;
  return undefined;
}
