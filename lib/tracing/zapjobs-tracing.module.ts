import { Module, type DynamicModule } from '@nestjs/common';
import { trace, type TracerProvider } from '@opentelemetry/api';
import { InvalidOptionsError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import { ZAPJOBS_INSTRUMENTATION } from '../zapjobs.constants.js';
import { OpenTelemetryInstrumentation } from './open-telemetry-instrumentation.js';

export interface ZapJobsTracingOptions {
  /**
   * Name of the tracer the spans are made with (the instrumentation scope).
   * @default '@zapjobs/nestjs'
   */
  tracerName?: string;
  /**
   * Where the tracer comes from.
   * @default the global provider (`trace.getTracerProvider()`), as registered by the OpenTelemetry SDK
   */
  tracerProvider?: TracerProvider;
}

/**
 * OpenTelemetry tracing of ZapJobs: a producer span per run enqueued, a consumer span per attempt,
 * the second a child of the first across processes (the trace context is stored with the run).
 * Import it next to ZapJobsModule; it is global, so ZapJobsModule finds it wherever it is imported.
 * Spans go to the registered tracer provider; the context goes through the registered propagator
 * (the SDK's default is W3C Trace Context): without one, runs carry no context.
 *
 * @example
 * imports: [ZapJobsModule.forRoot({ database: 'data/jobs.db' }), ZapJobsTracingModule.forRoot()]
 */
@Module({})
export class ZapJobsTracingModule {
  static forRoot(options: ZapJobsTracingOptions = {}): DynamicModule {
    checkOptions(options);
    return {
      module: ZapJobsTracingModule,
      global: true,
      providers: [
        {
          provide: ZAPJOBS_INSTRUMENTATION,
          useFactory: () => {
            // The global provider is a proxy: a tracer taken now follows an SDK registered later.
            const provider = options.tracerProvider ?? trace.getTracerProvider();
            return new OpenTelemetryInstrumentation(provider.getTracer(options.tracerName ?? '@zapjobs/nestjs'));
          },
        },
      ],
      exports: [ZAPJOBS_INSTRUMENTATION],
    };
  }
}

/** Bad options fail at import, naming the field; a misspelt key would otherwise be ignored silently. */
function checkOptions(options: ZapJobsTracingOptions): void {
  if (options === null || typeof options !== 'object') throw new InvalidOptionsError([messages.tracingOption('options', 'an object', options)]);
  const problems: string[] = [];
  for (const key of Object.keys(options)) if (key !== 'tracerName' && key !== 'tracerProvider') problems.push(messages.tracingUnknownOption(key));
  const { tracerName, tracerProvider } = options;
  if (tracerName !== undefined && (typeof tracerName !== 'string' || tracerName === '')) {
    problems.push(messages.tracingOption('tracerName', 'a non-empty string', tracerName));
  }
  if (tracerProvider !== undefined && typeof (tracerProvider as Partial<TracerProvider> | null)?.getTracer !== 'function') {
    problems.push(messages.tracingOption('tracerProvider', 'a TracerProvider (an object with getTracer())', tracerProvider));
  }
  if (problems.length > 0) throw new InvalidOptionsError(problems);
}
