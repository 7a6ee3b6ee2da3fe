// The deployment's AWS-style identity: the account id in every ARN and the region signatures are scoped to.

export interface Account {
  readonly accountId: string;
  readonly region: string;
}
