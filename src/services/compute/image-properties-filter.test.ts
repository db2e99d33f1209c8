import { describe, expect, it } from "vitest";
import {
  computeProperties,
  type HostCapabilities,
  imageSupported,
  versionSatisfies,
  versionString,
} from "./image-properties-filter.js";

const FAKE_X86: HostCapabilities = {
  supportedInstances: [["x86_64", "fake", "hvm"]],
  hypervisorVersion: 1000,
};

const supported = (properties: Record<string, unknown>, host = FAKE_X86) => {
  const wanted = computeProperties(properties);
  return wanted === null ? "any host" : imageSupported(wanted, host);
};

describe("ImagePropertiesFilter", () => {
  it("leaves an image that asks for nothing of the host to any host", () => {
    expect(supported({ os_distro: "cirros", hw_disk_bus: "virtio" })).toBe("any host");
  });

  it("matches architecture, hypervisor type and VM mode, as nova canonicalizes them", () => {
    expect(supported({ hw_architecture: "x86_64" })).toBe(true);
    expect(supported({ hw_architecture: "AMD64", img_hv_type: "FAKE", hw_vm_mode: "hv" })).toBe(true);
    expect(supported({ architecture: "x64" })).toBe(true);
    expect(supported({ hw_architecture: "aarch64" })).toBe(false);
    expect(supported({ img_hv_type: "qemu" })).toBe(false);
    expect(supported({ hw_vm_mode: "xen" })).toBe(false);
    // a host that advertises no guests takes none that asks for one
    expect(
      supported({ hw_architecture: "x86_64" }, { supportedInstances: [], hypervisorVersion: 1000 }),
    ).toBe(false);
  });

  it("checks img_hv_requested_version against the hypervisor's version", () => {
    expect(versionString(1_002_003)).toBe("1.2.3");
    expect(supported({ img_hv_requested_version: ">=0.1" })).toBe(true);
    expect(supported({ img_hv_requested_version: ">=0.1,<0.2" })).toBe(true);
    expect(supported({ img_hv_requested_version: ">=1.0" })).toBe(false);
    expect(supported({ img_hv_requested_version: "==0.1.0", hw_architecture: "x86_64" })).toBe(true);
    expect(versionSatisfies(6_002_000, ">6.1, !=6.3")).toBe(true);
    expect(versionSatisfies(6_002_000, "not a version")).toBe(false);
    // no version known: nova lets it through
    expect(versionSatisfies(0, ">=99")).toBe(true);
  });
});
