# The two commands of the README, and a release build.
.PHONY: demo test build
demo:
	scripts/demo
test:
	scripts/test
build:
	swift build -c release --product nianjian
