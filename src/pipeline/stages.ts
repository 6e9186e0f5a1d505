// The stage runner. Each stage is a function from plain data to plain data and
// re-running it on the same message gives the same result, so a job resumed after
// a crash is safe. Stages to come (auth, parse, classify, match) slot in here.
import type { HeaderSummary } from '../store/index.ts';
import { readHeaderSummary } from './headers.ts';

export interface PipelineResult {
  summary: HeaderSummary;
}

export async function runPipeline(raw: Buffer): Promise<PipelineResult> {
  const summary = await readHeaderSummary(raw);
  return { summary };
}
