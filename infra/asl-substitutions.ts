/**
 * The state machine's `definitionSubstitutions`: the one map of `${Token}` → value, built by the stack from its
 * resources and by the local runner from the local system's names. Free of CDK, so `npm start` loads it cheaply.
 */
export interface AslValues {
  readonly healthCheckFunctionArn: string;
  readonly probeFunctionArn: string;
  readonly tableName: string;
  readonly historyTableName: string;
  readonly metricNamespace: string;
}

export function aslSubstitutions(v: AslValues): Record<string, string> {
  return {
    HealthCheckFunctionArn: v.healthCheckFunctionArn,
    ProbeFunctionArn: v.probeFunctionArn,
    TableName: v.tableName,
    HistoryTableName: v.historyTableName,
    MetricNamespace: v.metricNamespace,
  };
}
