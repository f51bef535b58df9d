/** Cell templates (SPEC §3.1): preset tags and provenance for common agent-memory records. */
import type { Coord } from '../coord/index.js';
import { hexxlaError } from '../errors.js';
import type { CellInput } from './types.js';

const todo = (): never => { throw hexxlaError('InvalidArgument', 'not implemented yet'); };

export interface TemplateOptions {
  readonly sourceId?: string;
  readonly confidence?: number;
  readonly tags?: readonly string[];
}
export const cellTemplates = {
  userMessage: (_c: Coord, _content: string, _o?: TemplateOptions): CellInput => todo(),
  assistantResponse: (_c: Coord, _content: string, _o?: TemplateOptions): CellInput => todo(),
  systemPrompt: (_c: Coord, _content: string, _o?: TemplateOptions): CellInput => todo(),
  extractedFact: (_c: Coord, _content: string, _o?: TemplateOptions): CellInput => todo(),
};
