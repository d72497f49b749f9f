/** The trust domain and cluster name every system of the benchmark is configured with. */
export const TRUST_DOMAIN = "example.org";
export const CLUSTER = "bench";
