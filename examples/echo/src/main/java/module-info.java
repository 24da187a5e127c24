/** An echo server on pollkit's event loop: a user of the library's exported API, nothing more. */
module io.pollkit.examples.echo {
    requires io.pollkit;
}
