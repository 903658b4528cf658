/**
 * cfn-lint, AWS's CloudFormation linter, over the synthesized templates of every configuration in
 * deploy-configurations.ts: no error, and every warning either fixed or acknowledged below with its reason — and every
 * acknowledgement still matching a warning, so none outlives its cause. cfn-lint is slow to start, so it runs once,
 * over every distinct template (and a control template that must fail).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CONFIGURATION_NAMES, synthesize } from './deploy-configurations';

/** A warning cfn-lint gives that lexdr accepts: the rule, where (`<stack>:<path>`), what it says, and why. */
interface Acknowledgement {
  readonly rule: string;
  /** Matched against `<stack name>:<path in the template>`, e.g. `Lexdr-HealthCheck-us-east-1:Resources/X/DependsOn/1`. */
  readonly at: RegExp;
  /** Matched against cfn-lint's message. */
  readonly message: RegExp;
  readonly reason: string;
}

/** Every cfn-lint warning lexdr accepts, in one list. */
const ACKNOWLEDGED: readonly Acknowledgement[] = [
  {
    rule: 'W3005',
    at: /:Resources\/[^/]+\/DependsOn\/\d+$/,
    message:
      /^'[^']*Role[0-9A-F]{8}' dependency already enforced by a 'GetAtt' at 'Resources\/[^/]+\/Properties\/(Role|RoleArn)'$/,
    reason:
      "CDK's Lambda functions (lexdr's, its custom-resource providers') and state machines depend on their role construct, " +
      "so that the role's policy exists before they run; the DependsOn on the role itself repeats the GetAtt. Harmless.",
  },
  {
    rule: 'W3010',
    at: /^Lexdr-TwilioBridge-[a-z0-9-]+:Resources\/Vpc(Public|Private)Subnet\dSubnet[0-9A-F]{8}\/Properties\/AvailabilityZone$/,
    message: /^Avoid hardcoding availability zones '[a-z0-9-]+'$/,
    reason:
      "CDK's Vpc in a stack with an explicit account and region writes the availability zones `cdk synth` looked up in " +
      "that account (cdk.context.json): the names are the account's own, not hand-written ones.",
  },
];

interface Finding {
  readonly rule: string;
  readonly level: string;
  readonly message: string;
  /** `<stack name>:<path>`. */
  readonly at: string;
  /** The configurations whose template it is in (identical templates are linted once). */
  readonly configurations: readonly string[];
}

interface RawFinding {
  Rule: { Id: string };
  Level: string;
  Message: string;
  Filename: string;
  Location: { Path: (string | number)[] };
}

const line = (f: Finding) => `${f.level} ${f.rule} ${f.at} (${f.configurations.join(', ')}): ${f.message}`;
const matches = (a: Acknowledgement, f: Finding) => a.rule === f.rule && a.at.test(f.at) && a.message.test(f.message);

/** Errors, warnings no acknowledgement covers, and acknowledgements that cover no warning. */
function classify(findings: readonly Finding[], acknowledged: readonly Acknowledgement[]) {
  const warnings = findings.filter((f) => f.level === 'Warning');
  return {
    errors: findings.filter((f) => f.level === 'Error'),
    unacknowledged: warnings.filter((f) => !acknowledged.some((a) => matches(a, f))),
    stale: acknowledged.filter((a) => !warnings.some((f) => matches(a, f))),
  };
}

/** Runs cfn-lint once over every template; its exit code is a bit mask of the levels found, so only its JSON counts. */
function cfnLint(files: readonly string[], regions: readonly string[]): Promise<RawFinding[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'cfn-lint',
      ['--format', 'json', '--regions', ...regions, '--', ...files],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new Error('cfn-lint is not installed (pip install cfn-lint): npm test runs it over the templates'));
          return;
        }
        try {
          resolve(JSON.parse(stdout) as RawFinding[]);
        } catch {
          reject(new Error(`cfn-lint did not answer JSON (exit ${String(error?.code)}): ${stderr || stdout}`));
        }
      },
    );
  });
}

/** A template with a known error (a TopicPolicy without its required Topics) and an unacknowledged warning. */
const CONTROL = {
  Resources: {
    Policy: { Type: 'AWS::SNS::TopicPolicy', Properties: { PolicyDocument: { Statement: [] } } },
    Subnet: {
      Type: 'AWS::EC2::Subnet',
      Properties: { VpcId: 'vpc-12345678', CidrBlock: '10.0.0.0/24', AvailabilityZone: 'us-east-1a' },
    },
  },
};

const root = mkdtempSync(join(tmpdir(), 'lexdr-cfn-lint-'));
let findings: Finding[] = [];
let control: Finding[] = [];
const linted = new Map<string, string[]>();

beforeAll(async () => {
  // Identical templates (the bot stacks of most configurations) are linted once, and reported for each.
  const byContent = new Map<string, { file: string; stack: string; configurations: string[] }>();
  const regions = new Set<string>();
  for (const name of CONFIGURATION_NAMES) {
    const { assembly } = synthesize(name, join(root, name));
    for (const stack of assembly.stacks) {
      regions.add(stack.environment.region);
      const hash = createHash('sha256').update(readFileSync(stack.templateFullPath)).digest('hex');
      const entry = byContent.get(hash) ?? { file: stack.templateFullPath, stack: stack.stackName, configurations: [] };
      entry.configurations.push(name);
      byContent.set(hash, entry);
      linted.set(name, [...(linted.get(name) ?? []), stack.stackName]);
    }
  }
  mkdirSync(join(root, 'control'));
  const controlFile = join(root, 'control', 'Control.template.json');
  writeFileSync(controlFile, JSON.stringify(CONTROL, null, 1));
  const files = [...byContent.values()];
  const raw = await cfnLint([...files.map((f) => f.file), controlFile], [...regions].sort());
  const toFinding = (r: RawFinding): Finding => {
    const file = files.find((f) => f.file === r.Filename || r.Filename.endsWith(f.file));
    return {
      rule: r.Rule.Id,
      level: r.Level,
      message: r.Message,
      at: `${file?.stack ?? basename(r.Filename).replace('.template.json', '')}:${r.Location.Path.join('/')}`,
      configurations: file?.configurations ?? ['control'],
    };
  };
  findings = raw.filter((r) => r.Filename !== controlFile).map(toFinding);
  control = raw.filter((r) => r.Filename === controlFile).map(toFinding);
}, 180_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

test('every configuration was synthesized and linted', () => {
  expect([...linted.keys()]).toEqual(CONFIGURATION_NAMES);
  for (const name of CONFIGURATION_NAMES) expect(linted.get(name)!.length).toBeGreaterThan(0);
});

test('cfn-lint finds no error in any template', () => {
  expect(classify(findings, ACKNOWLEDGED).errors.map(line)).toEqual([]);
});

test('every cfn-lint warning is acknowledged with its reason', () => {
  expect(classify(findings, ACKNOWLEDGED).unacknowledged.map(line)).toEqual([]);
});

test('every acknowledgement still matches a warning (none is stale)', () => {
  expect(classify(findings, ACKNOWLEDGED).stale.map((a) => `${a.rule} ${a.at}: ${a.reason}`)).toEqual([]);
});

test('the check can fail: a template with a missing required property and an unacknowledged warning is reported', () => {
  const { errors, unacknowledged } = classify(control, ACKNOWLEDGED);
  expect(errors.map((f) => `${f.rule} ${f.at}`)).toContain('E3003 Control:Resources/Policy/Properties');
  expect(unacknowledged.map((f) => `${f.rule} ${f.at}`)).toContain(
    'W3010 Control:Resources/Subnet/Properties/AvailabilityZone',
  );
  // Against the control alone, every acknowledgement is stale.
  expect(classify(control, ACKNOWLEDGED).stale).toHaveLength(ACKNOWLEDGED.length);
});
