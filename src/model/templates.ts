/**
 * Cell templates (SPEC §3.1): preset tags and provenance for common agent-memory records.
 *
 * Each template returns a plain CellInput (nothing is written; pass it to putCell / putCells,
 * which validate it). The presets:
 *
 * | template          | preset tags                | confidence default |
 * |-------------------|----------------------------|--------------------|
 * | userMessage       | `message`, `user`          | 1                  |
 * | assistantResponse | `message`, `assistant`     | 1                  |
 * | systemPrompt      | `system-prompt`            | 1                  |
 * | extractedFact     | `fact`                     | 0.8                |
 *
 * An extracted fact is an inference, not something said verbatim, hence the lower default.
 * Options: `sourceId` (default '': no source), `confidence` (overrides the default), `tags`
 * (added after the preset tags; duplicates dropped, first occurrence kept).
 */
import type { Coord } from '../coord/index.js';
import { hexxlaError } from '../errors.js';
import type { CellInput } from './types.js';

export interface TemplateOptions {
  readonly sourceId?: string;
  readonly confidence?: number;
  readonly tags?: readonly string[];
}

/** Confidence of an extracted fact when the options give none. */
export const extractedFactConfidenceDefault = 0.8;

/** Preset tags of each template. */
export const templateTags = {
  userMessage: ['message', 'user'],
  assistantResponse: ['message', 'assistant'],
  systemPrompt: ['system-prompt'],
  extractedFact: ['fact'],
} as const satisfies Record<string, readonly string[]>;

function build(preset: readonly string[], confidenceDefault: number, coord: Coord,
  rawContent: string, o: TemplateOptions | undefined): CellInput {
  if (o !== undefined && (typeof o !== 'object' || o === null)) {
    throw hexxlaError('InvalidArgument', 'template options must be an object');
  }
  if (o?.tags !== undefined && !Array.isArray(o.tags)) {
    throw hexxlaError('InvalidArgument', 'template options.tags must be an array');
  }
  // The tags themselves (and everything else) are validated by putCell.
  const tags = [...new Set([...preset, ...(o?.tags ?? [])])];
  return {
    coord,
    rawContent,
    tags,
    provenance: {
      sourceId: o?.sourceId ?? '',
      confidence: o?.confidence ?? confidenceDefault,
    },
  };
}

export const cellTemplates = {
  /** A message the user sent: tags message, user. */
  userMessage: (c: Coord, content: string, o?: TemplateOptions): CellInput =>
    build(templateTags.userMessage, 1, c, content, o),
  /** A response of the assistant: tags message, assistant. */
  assistantResponse: (c: Coord, content: string, o?: TemplateOptions): CellInput =>
    build(templateTags.assistantResponse, 1, c, content, o),
  /** A system prompt: tag system-prompt. */
  systemPrompt: (c: Coord, content: string, o?: TemplateOptions): CellInput =>
    build(templateTags.systemPrompt, 1, c, content, o),
  /** A fact extracted from the conversation: tag fact, confidence 0.8 unless given. */
  extractedFact: (c: Coord, content: string, o?: TemplateOptions): CellInput =>
    build(templateTags.extractedFact, extractedFactConfidenceDefault, c, content, o),
};
