import { describe, expect, it } from "vitest";
import { validateExtraSpec } from "./extra-spec-validation.js";

const refusal = (name: string, value: string | number) => {
  try {
    validateExtraSpec(name, value);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

describe("validateExtraSpec (2.86)", () => {
  it.each([
    ["hw:cpu_policy", "dedicated"],
    ["hw:numa_nodes", "2"],
    ["hw:numa_nodes", 2],
    ["hw:numa_cpus.0", "0-3,^2"],
    ["hw:numa_mem.1", "1024"],
    ["hw:mem_page_size", "2MiB"],
    ["hw:cpu_realtime", "yes"],
    ["hw_rng:allowed", "False"],
    ["quota:disk_read_bytes_sec", "10240000"],
    ["resources:VCPU", "1"],
    ["resources1:CUSTOM_GPU", "2"],
    ["trait:HW_CPU_X86_AVX2", "required"],
    ["trait_group:CUSTOM_FOO", "forbidden"],
    ["aggregate_instance_extra_specs:ssd", "true"],
    ["capabilities:cpu_info:features", "avx"],
    ["pci_passthrough:alias", "a1:2, b2:1"],
    ["group_policy", "isolate"],
    // no namespace, or a namespace nova does not know: anything goes
    ["free_form", "whatever"],
    ["mycompany:thing", "anything"],
  ])("accepts %s=%s", (name, value) => {
    expect(refusal(name, value)).toBeUndefined();
  });

  it.each([
    ["hw:cpu_policy", "sometimes", "Validation failed; 'sometimes' is not one of: dedicated, shared, mixed."],
    ["hw:numa_nodes", "two", "Validation failed; 'two' is not a valid integer value."],
    ["hw:numa_nodes", "0", "Validation failed; '0' is less than the min value of '1'."],
    ["hw:redirected_usb_ports", "16", "Validation failed; '16' is greater than the max value of '15'."],
    ["hw:cpu_realtime", "maybe", "Validation failed; 'maybe' is not a valid boolean-like value."],
    [
      "hw:cpu_realtime_mask",
      "x",
      "Validation failed; 'x' is not of the format '(\\^)?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*'.",
    ],
    [
      "hw:no_such_thing",
      "1",
      "Validation failed; extra spec 'hw:no_such_thing' does not appear to be a valid extra spec.",
    ],
    ["trait:HW_X", "maybe", "Validation failed; 'maybe' is not one of: required, forbidden."],
  ])("refuses %s=%s", (name, value, message) => {
    expect(refusal(name, value)).toBe(message);
  });
});
