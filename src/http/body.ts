import { AppError } from '../services/errors.ts';
import { JsonDepthScanner } from './jsonDepth.ts';

export interface BodyLimits {
  maxBytes: number;
  /** Refuse JSON nested deeper than this, checked on each chunk as it arrives. */
  maxJsonDepth?: number;
}

/**
 * Reads a body within the limits, chunk by chunk: over `maxBytes` it throws
 * PAYLOAD_TOO_LARGE (413), nested deeper than `maxJsonDepth` VALIDATION_FAILED
 * (400) — both as soon as the chunk that crosses the line arrives, without
 * reading the rest. Each chunk is scanned once, so the cost is linear in the
 * bytes read and the event loop is free between chunks.
 */
export async function readJsonBody(request: Request, limits: BodyLimits): Promise<Uint8Array<ArrayBuffer>> {
  if (Number(request.headers.get('content-length') ?? 0) > limits.maxBytes) throw tooLarge(limits.maxBytes);
  if (!request.body) return new Uint8Array(0);
  const depth = limits.maxJsonDepth === undefined ? undefined : new JsonDepthScanner(limits.maxJsonDepth);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    const problem =
      size > limits.maxBytes
        ? tooLarge(limits.maxBytes)
        : depth?.push(value) === false
          ? tooDeep(depth.maxDepth)
          : undefined;
    if (problem) {
      await reader.cancel().catch(() => {});
      throw problem;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `The request body exceeds ${maxBytes} bytes`, { limit: maxBytes });
}

function tooDeep(maxDepth: number): AppError {
  return new AppError('VALIDATION_FAILED', `The JSON body nests deeper than ${maxDepth} levels`, {
    limit: maxDepth,
  });
}
