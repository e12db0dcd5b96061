#pragma once

#include <functional>
#include <memory>

#include "adapters/gpio/gpio_line.h"
#include "adapters/hx711/hx711_driver.h"
#include "adapters/modbus/modbus_client.h"
#include "adapters/modbus/modbus_options.h"
#include "gateway/model/clock.h"

namespace edgegw {

/// The hardware the board offers the adapters, as factories: each adapter gets its own
/// handle. The gateway uses system_hardware(); tests put fakes here to run the whole gateway
/// on a fake HX711 or Modbus device.
struct AdapterHardware {
  std::function<std::unique_ptr<gpio::LineOpener>()> gpio;
  std::function<std::unique_ptr<hx711::PulseClock>()> pulse_clock;
  std::function<std::unique_ptr<modbus::ModbusClient>(const ModbusOptions&)> modbus;
};

/// libgpiod lines, the steady clock for bit-banging, libmodbus clients.
AdapterHardware system_hardware();

/// What an adapter is built with. The runner it is built into wakes it: at the time its
/// source asks for, when the source's file descriptor is readable, or to stop.
struct AdapterContext {
  Clock& clock;
  const AdapterHardware& hardware;
};

}  // namespace edgegw
