#include "support/LargeStack.h"

#include <pthread.h>

#include <exception>

namespace nnc {

void runWithLargeStack(const std::function<void()>& body, size_t bytes) {
  struct Task {
    const std::function<void()>* body;
    std::exception_ptr error;  // rethrown on the calling thread
  } task{&body, nullptr};
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, bytes);
  pthread_t thread;
  auto run = [](void* data) -> void* {
    auto* t = static_cast<Task*>(data);
    try {
      (*t->body)();
    } catch (...) {
      t->error = std::current_exception();
    }
    return nullptr;
  };
  const bool started = pthread_create(&thread, &attributes, run, &task) == 0;
  pthread_attr_destroy(&attributes);
  if (!started) {
    body();  // no thread: here, with the caller's stack
    return;
  }
  pthread_join(thread, nullptr);
  if (task.error) std::rethrow_exception(task.error);
}

}  // namespace nnc
