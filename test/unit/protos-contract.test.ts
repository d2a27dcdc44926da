import { execFileSync } from 'node:child_process';
import * as protoLoader from '@grpc/proto-loader';
import { describePayload, chunkedMessages } from '../../coordinator/transport/payload-stream.js';
import { MAX_CHUNK_BYTES } from '../../coordinator/transport/chunks.js';
import { PROTO_FILES, loadAidocProtos, loaderOptions } from '../../protos/load.js';

describe('aidoc.v1 contract', () => {
  const proto = loadAidocProtos();

  test('services expose the methods of the contract with the right streaming kinds', () => {
    const kinds = (service: {
      service: Record<string, { requestStream: boolean; responseStream: boolean }>;
    }) =>
      Object.fromEntries(
        Object.entries(service.service).map(([m, d]) => [
          m,
          `${d.requestStream ? 'stream' : 'unary'}->${d.responseStream ? 'stream' : 'unary'}`,
        ]),
      );
    expect(kinds(proto.WorkerService)).toEqual({
      Register: 'unary->unary',
      Discover: 'unary->unary',
      Heartbeat: 'unary->unary',
      PullTask: 'unary->unary',
      FetchPayload: 'unary->stream',
      PushUpdate: 'stream->unary',
      ReportEvaluation: 'unary->unary',
      ReportFailure: 'unary->unary',
      PullOpenRequest: 'unary->unary',
      PushOpenResult: 'stream->unary',
    });
    expect(kinds(proto.JobService)).toEqual({
      SubmitJob: 'unary->unary',
      GetJob: 'unary->unary',
      WatchJob: 'unary->stream',
      CancelJob: 'unary->unary',
      ListJobs: 'unary->unary',
      ListVersions: 'unary->unary',
    });
    expect(kinds(proto.AdminService)).toEqual({ ListWorkers: 'unary->unary' });
    expect(proto.WorkerService.service.PushUpdate.path).toBe('/aidoc.v1.WorkerService/PushUpdate');
  });

  test('decoded messages use camelCase, numbers for 64-bit fields, enum names and a oneof discriminator', () => {
    const method = proto.WorkerService.service.PushUpdate;
    const { header: payload } = describePayload(Buffer.alloc(40_000_000));
    const wire = method.requestSerialize({
      header: {
        taskId: 't-1',
        jobId: 'j-1',
        round: 3,
        numExamples: 190,
        metrics: { loss: 0.25 },
        nonce: Buffer.from([1, 2]),
        payload,
      },
    });
    const decoded = method.requestDeserialize(wire);
    expect(decoded.part).toBe('header');
    expect(decoded.chunk).toBeUndefined();
    expect(decoded.header?.payload?.byteLength).toBe(40_000_000);
    expect(decoded.header?.payload?.elementCount).toBe(10_000_000);
    expect(decoded.header?.payload?.encoding).toBe('PAYLOAD_ENCODING_PLAIN_F32');
    expect(decoded.header?.payload?.chunkCount).toBe(39);
    expect(decoded.header?.metrics).toEqual({ loss: 0.25 });
    expect(decoded.header?.sessionId).toBe(''); // defaults: every field present
    expect(Buffer.isBuffer(decoded.header?.nonce)).toBe(true);

    const task = proto.WorkerService.service.PullTask.responseDeserialize(
      proto.WorkerService.service.PullTask.responseSerialize({
        none: { retryAfterMs: 500, reason: 'no job' },
      }),
    );
    expect(task).toMatchObject({ result: 'none', none: { retryAfterMs: 500 } });
  });

  test('a full chunk message stays far below the 4 MiB default limit', () => {
    const data = Buffer.alloc(2 * MAX_CHUNK_BYTES, 0xab);
    const { header, chunks } = describePayload(data);
    const method = proto.WorkerService.service.PushUpdate;
    const sizes = [...chunkedMessages({ taskId: 't', payload: header }, chunks)].map(
      (m) => method.requestSerialize(m).length,
    );
    expect(Math.max(...sizes)).toBeLessThan(MAX_CHUNK_BYTES + 64);
    expect(Math.max(...sizes)).toBeLessThan((4 * 1024 * 1024) / 3);
  });

  test('every enum starts with a zero *_UNSPECIFIED value (language-neutral proto3 style)', () => {
    const def = protoLoader.loadSync(PROTO_FILES, loaderOptions());
    const enums = Object.entries(def).filter(([, v]) =>
      String((v as { format?: string }).format).includes('EnumDescriptorProto'),
    );
    expect(enums.map(([n]) => n.replace('aidoc.v1.', '')).sort()).toEqual([
      'FailureReason',
      'JobState',
      'PayloadEncoding',
      'SecureAggregationMode',
      'TaskKind',
      'WorkerActivity',
      'WorkerHealth',
    ]);
    for (const [name, v] of enums) {
      const first = (v as unknown as { type: { value: { name: string; number: number }[] } }).type.value[0];
      expect({ name, first: first?.name.endsWith('_UNSPECIFIED') && first.number === 0 }).toEqual({
        name,
        first: true,
      });
    }
  });

  test('protos/generated is what the generator produces from the .proto files (npm run protos:check)', () => {
    const out = execFileSync(process.execPath, ['scripts/gen-protos.mjs', '--check'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toBe('');
  });
});
