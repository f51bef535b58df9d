/**
 * Goal: the cell templates (SPEC §3.1) produce the documented preset tags and provenance, merge
 * caller tags without duplicates, and yield inputs that putCell stores as such (validation is
 * putCell's: a bad template input fails there with a typed error).
 * Method: pure calls, then a put through a temporary database on both formats.
 */
import { describe, expect, it } from 'vitest';
import { coord } from '../../src/coord/index.js';
import { cellTemplates } from '../../src/index.js';
import { expectErrorCode } from '../engine/helpers.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();
const at = coord(3, 4);

describe('cellTemplates', () => {
  it('presets tags and confidence per template', () => {
    expect(cellTemplates.userMessage(at, 'hi')).toEqual({
      coord: at, rawContent: 'hi', tags: ['message', 'user'],
      provenance: { sourceId: '', confidence: 1 },
    });
    expect(cellTemplates.assistantResponse(at, 'hello').tags).toEqual(['message', 'assistant']);
    expect(cellTemplates.systemPrompt(at, 'be brief').tags).toEqual(['system-prompt']);
    const fact = cellTemplates.extractedFact(at, 'sky is blue');
    expect(fact.tags).toEqual(['fact']);
    expect(fact.provenance?.confidence).toBe(0.8);
    for (const make of [cellTemplates.userMessage, cellTemplates.assistantResponse,
      cellTemplates.systemPrompt]) {
      expect(make(at, 'x').provenance?.confidence).toBe(1);
    }
  });

  it('applies options: source, confidence, extra tags merged without duplicates', () => {
    const input = cellTemplates.extractedFact(at, 'f', {
      sourceId: 'chat-7', confidence: 0.3, tags: ['fact', 'physics', 'physics', 'sky'],
    });
    expect(input.tags).toEqual(['fact', 'physics', 'sky']);
    expect(input.provenance).toEqual({ sourceId: 'chat-7', confidence: 0.3 });
    expect(cellTemplates.userMessage(at, 'u', { tags: ['user', 'greeting'] }).tags)
      .toEqual(['message', 'user', 'greeting']);
  });

  it('rejects malformed options', () => {
    expectErrorCode(() => cellTemplates.userMessage(at, 'x', 'opts' as never), 'InvalidArgument');
    expectErrorCode(() => cellTemplates.systemPrompt(at, 'x', { tags: 'a' as never }),
      'InvalidArgument');
  });

  it.each([false, true])('template inputs store as given (mvcc %s)', async (mvcc) => {
    const tmp = await tmpDb.open({ mvcc });
    const put = await tmp.db.putCell(cellTemplates.extractedFact(at, 'water boils at 100C',
      { sourceId: 'doc-1' }));
    expect(put.tags).toEqual(['fact']);
    expect(put.provenance.sourceId).toBe('doc-1');
    expect(put.provenance.confidence).toBe(0.8);
    tmp.db.view((tx) => {
      expect(tx.listCellsByTag('fact').map((c) => c.rawContent)).toEqual(['water boils at 100C']);
      expect(tx.listCellsBySource('doc-1')).toHaveLength(1);
    });
    await tmp.db.update((tx) => {
      expectErrorCode(() => tx.putCell(cellTemplates.userMessage(coord(0, 0), 'x',
        { confidence: 1.5 })), 'InvalidArgument');
      expectErrorCode(() => tx.putCell(cellTemplates.userMessage(coord(0, 0), 'x',
        { tags: [''] })), 'InvalidArgument');
    });
    expect(tmp.db.getCell(coord(0, 0))).toBeUndefined();
  });
});
