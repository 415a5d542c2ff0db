import type { Change } from '../state';

/** A screen: its element, how it follows changes, what it releases when left. */
export interface View {
  el: HTMLElement;
  update?(c: Change): void;
  dispose?(): void;
}
