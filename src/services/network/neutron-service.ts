import type { Db } from "../../store/database.js";
import { NeutronRepository } from "../../store/neutron-repository.js";
import { Networks } from "./networks.js";
import { Ports } from "./ports.js";
import { Subnets } from "./subnets.js";
import { Tags } from "./tags.js";

/**
 * Neutron's core model (networks, subnets, ports with IPAM, tags) over one store. Not the
 * older NetworkService: compute keeps allocating from that until it asks this one.
 */
export class NeutronService {
  readonly networks: Networks;
  readonly subnets: Subnets;
  readonly ports: Ports;
  readonly tags: Tags;

  constructor(db: Db) {
    const repo = new NeutronRepository(db);
    this.networks = new Networks(repo);
    this.subnets = new Subnets(repo);
    this.ports = new Ports(repo);
    this.tags = new Tags(repo, { networks: this.networks, subnets: this.subnets, ports: this.ports });
  }
}
