import { binary } from './elementwise.ts';

export const Div = binary('Div', (a, b) => a / b);
