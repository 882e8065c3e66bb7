// @apollo/gateway (2.x) builds an OpenTelemetry meter at construction unless the environment says
// APOLLO_TELEMETRY_DISABLED=true: it runs the cloud resource detectors (AWS, Azure, Alibaba and GCP,
// whose metadata probe prints a MetadataLookupWarning where no metadata server answers) and exports
// the gateway's usage metrics to Apollo (https://usage-reporting.api.apollographql.com) every hour
// and at shutdown. Environment is the only switch it reads, so the gateways set it before building
// Apollo's: a BFF in front of a company's services sends nothing to a third party unless its
// operator says so. APOLLO_TELEMETRY_DISABLED=false (or any value other than true/1) opts back in.

/** Turns Apollo's data collection off unless the operator chose a value; returns whether it is off. */
export function keepApolloTelemetryOff(env: NodeJS.ProcessEnv = process.env): boolean {
  env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  return env.APOLLO_TELEMETRY_DISABLED === 'true' || env.APOLLO_TELEMETRY_DISABLED === '1';
}
