import type { Driver } from "./driver.js";

/** The hosts this process runs guests on, by host name. */
export class DriverRegistry {
  readonly #drivers = new Map<string, Driver>();

  add(driver: Driver): void {
    this.#drivers.set(driver.hostname, driver);
  }

  get(host: string): Driver | undefined {
    return this.#drivers.get(host);
  }

  get hosts(): string[] {
    return [...this.#drivers.keys()];
  }
}
