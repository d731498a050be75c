// The set-up most integration suites share, called inside a describe(): the CRDs installed,
// namespaces of the suite's own and (operatorSuite) the operator started on them, before its tests;
// all of it undone after them, newest first, the namespaces last. A suite with more to set up
// registers its own before() after the call (inside a describe, hooks run one after the other, in
// the order they are registered; at a file's top level node:test runs before() hooks side by side)
// and hands its clean-ups to `cleanup`, which runs them with the suite's. The accessors are for
// hooks and tests: nothing exists yet while the suite is being declared.
import { after, before } from 'node:test';
import { installCrds } from './crds.ts';
import { suiteCleanup, testNamespace, type CleanupScope } from './kube.ts';
import { startOperator, type OperatorOptions, type OperatorProcess } from './operator.ts';

export interface NamespaceSuiteOptions {
  /** Cluster-scoped set-up done before the namespaces are made (default: installCrds). */
  install?: () => Promise<void>;
}

export interface NamespaceSuite {
  /** Takes the clean-ups of the suite's own set-up (run after its tests, before the namespaces go). */
  cleanup: CleanupScope;
  /** The suite's first namespace. */
  ns(): string;
  /** Every namespace of the suite, in the order of the prefixes. */
  namespaces(): string[];
}

export interface OperatorSuiteOptions extends NamespaceSuiteOptions, OperatorOptions {
  /** More flags for cmd/manager.ts, after startOperator's own (a later flag wins). */
  args?: string[];
}

export interface OperatorSuite extends NamespaceSuite {
  /** The operator, started on every namespace of the suite. */
  operator(): OperatorProcess;
}

/** Namespaces named `<prefix>-<random>`, one for each prefix, made after `install`. */
export function namespaceSuite(prefixes: string | string[], opts: NamespaceSuiteOptions = {}): NamespaceSuite {
  const { suite, setUp } = suiteNamespaces(prefixes, opts);
  before(setUp);
  return suite;
}

/** namespaceSuite, and the operator (startOperator) started on all its namespaces. */
export function operatorSuite(prefixes: string | string[], opts: OperatorSuiteOptions = {}): OperatorSuite {
  const { install, args = [], ...operatorOptions } = opts;
  const { suite, setUp } = suiteNamespaces(prefixes, { install });
  let operator: OperatorProcess | undefined;
  before(async () => {
    await setUp();
    operator = await startOperator(suite.cleanup, suite.namespaces(), args, operatorOptions);
  });
  return {
    ...suite,
    operator: () => {
      if (!operator) throw new Error("the suite's operator is started in its before() hook: ask for it in a hook or a test");
      return operator;
    },
  };
}

function suiteNamespaces(prefixes: string | string[], opts: NamespaceSuiteOptions): { suite: NamespaceSuite; setUp: () => Promise<void> } {
  const wanted = typeof prefixes === 'string' ? [prefixes] : prefixes;
  const cleanup = suiteCleanup();
  const made: string[] = [];
  after(async () => {
    await cleanup.run();
  });
  const namespaces = (): string[] => {
    if (made.length < wanted.length) throw new Error("the suite's namespaces are made in its before() hook: ask for them in a hook or a test");
    return made;
  };
  const setUp = async (): Promise<void> => {
    await (opts.install ?? installCrds)();
    for (const prefix of wanted) made.push(await testNamespace(cleanup, prefix));
  };
  return { suite: { cleanup, ns: () => namespaces()[0]!, namespaces }, setUp };
}
