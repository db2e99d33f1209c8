import { AutoAllocationRepository } from "../../store/auto-allocation-repository.js";
import type { Db } from "../../store/database.js";
import { L3Repository } from "../../store/l3-repository.js";
import { NeutronRepository } from "../../store/neutron-repository.js";
import { SecurityGroupRepository } from "../../store/security-group-repository.js";
import { AutoAllocation } from "./auto-allocation.js";
import { FloatingIps } from "./floating-ips.js";
import { IpAvailability } from "./ip-availability.js";
import { Networks } from "./networks.js";
import { Ports } from "./ports.js";
import { NetworkQuotas } from "./quotas.js";
import { Routers } from "./routers.js";
import { SecurityGroupRules } from "./security-group-rules.js";
import { SecurityGroups } from "./security-groups.js";
import { Subnets } from "./subnets.js";
import { Tags } from "./tags.js";

/**
 * Neutron's core model (networks, subnets, ports with IPAM, tags) and its L3 resources
 * (routers, floating IPs) and security groups over one store, with their quotas. Servers take their ports
 * from it through InstanceNetworking.
 */
export class NeutronService {
  readonly networks: Networks;
  readonly subnets: Subnets;
  readonly ports: Ports;
  readonly tags: Tags;
  readonly routers: Routers;
  readonly floatingIps: FloatingIps;
  readonly securityGroups: SecurityGroups;
  readonly securityGroupRules: SecurityGroupRules;
  readonly quotas: NetworkQuotas;
  readonly ipAvailability: IpAvailability;
  /** auto-allocated-topology, also what Nova's `networks: auto` asks for. */
  readonly autoAllocation: AutoAllocation;

  constructor(db: Db) {
    const repo = new NeutronRepository(db);
    this.quotas = new NetworkQuotas(db);
    this.networks = new Networks(repo, this.quotas);
    this.subnets = new Subnets(repo, this.quotas);
    this.ports = new Ports(repo, this.quotas);
    const groups = new SecurityGroupRepository(db);
    this.securityGroupRules = new SecurityGroupRules(groups, this.quotas);
    this.securityGroups = new SecurityGroups(groups, repo, this.securityGroupRules, this.quotas);
    this.ports.securityGroups = this.securityGroups;
    const l3 = new L3Repository(db);
    this.routers = new Routers(repo, l3, this.ports, this.subnets, this.quotas);
    this.floatingIps = new FloatingIps(repo, l3, this.ports, this.quotas);
    this.tags = new Tags(repo, {
      networks: this.networks,
      subnets: this.subnets,
      ports: this.ports,
      routers: this.routers,
      floatingips: this.floatingIps,
      "security-groups": this.securityGroups,
    });
    this.ipAvailability = new IpAvailability(repo);
    this.autoAllocation = new AutoAllocation(
      new AutoAllocationRepository(db),
      repo,
      this.networks,
      this.subnets,
      this.routers,
    );
  }
}
