/**
 * grpc.health.v1 and server reflection (SPEC §12.1), from the grpc-node packages
 * `grpc-health-check` and `@grpc/reflection` (both pure JS and work offline).
 *
 * Reflection needs FileDescriptorProtos. Instead of loading .proto files at run time (as
 * @grpc/proto-loader would), they are encoded from the protobuf-es descriptors in gen/, so the
 * reflected schema is exactly the one the server was built with. Both services are served
 * without a token: health is for probes and reveals only serving status; reflection reveals
 * only the public contract (proto/). Set `reflection: false` to turn it off.
 */
import { toBinary } from '@bufbuild/protobuf';
import type { DescFile } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';

type PackageDefinition = ConstructorParameters<typeof ReflectionService>[0];

/** Every file of `roots` and their imports, each once. */
function withDependencies(roots: readonly DescFile[]): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (seen.has(file.name)) return;
    seen.set(file.name, file);
    file.dependencies.forEach(visit);
  };
  roots.forEach(visit);
  return [...seen.values()];
}

/** Adds server reflection (v1 and v1alpha) for the services declared in `files`. */
export function addReflection(server: grpc.Server, files: readonly DescFile[],
  serviceNames: readonly string[]): void {
  const fileDescriptorProtos = withDependencies(files).map((f) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto)));
  // The reflection service reads only `fileDescriptorProtos` of each entry.
  const definition = { 'hexxladb.v1': { fileDescriptorProtos } } as unknown as PackageDefinition;
  new ReflectionService(definition, { services: [...serviceNames] }).addToServer(server);
}

/**
 * The health service; '' is the overall status. Watch streams never end on their own (a gRPC
 * client with client-side health checking keeps one per channel), so `endWatches` ends them at
 * shutdown, after they were told NOT_SERVING: otherwise each would hold a graceful shutdown for
 * its whole grace period and then be cut with CANCELLED.
 */
export class Health {
  private readonly impl: HealthImplementation;
  private readonly watches = new Set<grpc.ServerWritableStream<unknown, unknown>>();

  constructor(private readonly serviceNames: readonly string[]) {
    this.impl = new HealthImplementation({ '': 'NOT_SERVING' });
    for (const name of serviceNames) this.impl.setStatus(name, 'NOT_SERVING');
  }

  addTo(server: grpc.Server): void {
    // The implementation registers itself through addService: wrap its Watch handler to keep
    // the open streams.
    const tracking = {
      addService: (definition: grpc.ServiceDefinition,
        implementation: grpc.UntypedServiceImplementation) => {
        const watch = implementation['watch'] as grpc.handleServerStreamingCall<unknown, unknown>;
        server.addService(definition, { ...implementation,
          watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
            this.watches.add(call);
            call.on('cancelled', () => this.watches.delete(call));
            watch(call);
          } });
      },
    };
    this.impl.addToServer(tracking as unknown as grpc.Server);
  }

  /** Ends every open Watch stream with status OK (call after `set(false)`). */
  endWatches(): void {
    for (const call of this.watches) call.end();
    this.watches.clear();
  }

  /** Sets the overall and every service's status. */
  set(serving: boolean): void {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    this.impl.setStatus('', status);
    for (const name of this.serviceNames) this.impl.setStatus(name, status);
  }
}
