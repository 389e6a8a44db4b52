#pragma once
// The entry point libnnc_commands.so exports to the `nnc` launcher
// (tools/nnc/Launcher.cpp), which loads it with dlopen and finds this by
// name: C linkage, no C++ types across the boundary.
#ifdef __cplusplus
extern "C" {
#endif

// Runs `nnc <command> ...` for argv[1], one of kCommandNames in
// CommandNames.h; returns the exit status.
__attribute__((visibility("default"))) int nnc_commands_run(int argc, char** argv);

#ifdef __cplusplus
}
#endif
