"""Function-call arguments read from the input the way a person would read it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pytest_interactions.emulator import Emulator, arguments_for


def declare(**properties: Any) -> dict[str, Any]:
    """A function declaration with these parameters."""
    return {"name": "f", "parameters": {"type": "object", "properties": properties}}


LOCATION = declare(location={"type": "string"})


@pytest.mark.parametrize(
    ("text", "location"),
    [
        ("What is the weather in Paris right now?", "Paris"),
        ("What's the weather like in New York City this weekend?", "New York City"),
        ("weather in new york today", "new york"),
        ("Is it raining in Tokyo?", "Tokyo"),
        ("Forecast for São Paulo tomorrow please", "São Paulo"),
        ("How hot is it at the Grand Canyon at the moment?", "Grand Canyon"),
        ("Will it snow in Oslo on Friday?", "Oslo"),
        ("What\u2019s the weather in Zürich today?", "Zürich"),
        ("I am in Berlin. What is the time now?", "Berlin"),
        ("What is the capital of France?", "France"),
        ("Tell me about Rome", "Rome"),
        ("Paris weather", "Paris"),
        ("Flights to Rio de Janeiro", "Rio de Janeiro"),
        ("what's the weather", "weather"),
    ],
)
def test_the_subject_of_the_input_fills_a_string_parameter(text: str, location: str) -> None:
    assert arguments_for(LOCATION, text) == {"location": location}


@pytest.mark.parametrize("text", ["", "   ", "what is it now?"])
def test_an_input_without_a_subject_gives_the_default(text: str) -> None:
    assert arguments_for(LOCATION, text) == {"location": "value"}
    with_default = declare(location={"type": "string", "default": "Greenwich"})
    assert arguments_for(with_default, text) == {"location": "Greenwich"}


def test_several_string_parameters_take_the_subjects_in_declaration_order() -> None:
    flights = declare(origin={"type": "string"}, destination={"type": "string"})
    text = "Flights from London to Rio de Janeiro next Monday"
    assert arguments_for(flights, text) == {"origin": "London", "destination": "Rio de Janeiro"}
    assert list(arguments_for(flights, text)) == ["origin", "destination"]


def test_a_parameter_named_like_a_query_takes_the_whole_input() -> None:
    search = declare(query={"type": "string"}, city={"type": "string"})
    assert arguments_for(search, " Best museums in Madrid? ") == {
        "query": "Best museums in Madrid?",
        "city": "Madrid",
    }


def test_an_enum_takes_the_value_the_input_mentions_else_its_first() -> None:
    weather = declare(location={"type": "string"}, unit={"type": "string", "enum": ["celsius", "fahrenheit"]})
    assert arguments_for(weather, "Weather in Paris in Fahrenheit") == {
        "location": "Paris",
        "unit": "fahrenheit",
    }
    assert arguments_for(weather, "Weather in Paris")["unit"] == "celsius"


def test_numbers_come_from_the_input_in_order() -> None:
    thermostat = declare(room={"type": "string"}, celsius={"type": "number"}, minutes={"type": "integer"})
    assert arguments_for(thermostat, "Set the Kitchen to 21.5 for 30 minutes") == {
        "room": "Kitchen",
        "celsius": 21.5,
        "minutes": 30,
    }


def test_numbers_and_booleans_the_input_lacks_are_derived_from_it_deterministically() -> None:
    decl = declare(count={"type": "integer"}, urgent={"type": "boolean"})
    first = arguments_for(decl, "Remind me about Oslo")
    assert first == arguments_for(decl, "Remind me about Oslo")
    assert isinstance(first["count"], int)
    assert 0 <= first["count"] < 100
    assert isinstance(first["urgent"], bool)


def test_arrays_and_objects() -> None:
    decl = declare(cities={"type": "array", "items": {"type": "string"}}, options={"type": "object"})
    assert arguments_for(decl, "Compare the weather in Lima") == {"cities": ["Lima"], "options": {}}


def test_a_declaration_without_parameters_gets_no_arguments() -> None:
    assert arguments_for({"name": "now"}, "What time is it in Paris?") == {}
    assert arguments_for({"name": "now", "parameters": {"type": "object"}}, "in Paris") == {}


# -- through the emulator ---------------------------------------------------------------------


def test_the_emulated_call_streams_and_shows_these_arguments(interactions_server: Emulator) -> None:
    tool = {"type": "function", **declare(location={"type": "string"}, unit={"type": "string"})}
    tool["name"] = "get_weather"
    prompt = "What is the weather in Paris right now?"
    with httpx.Client(
        base_url=interactions_server.base_url + "/v1beta", headers={"x-goog-api-key": "k"}, timeout=5
    ) as http:
        done = http.post("/interactions", json={"model": "m", "input": prompt, "tools": [tool]}).json()
        streamed = http.get(f"/interactions/{done['id']}", params={"stream": "true"}).text

    call = done["steps"][-1]
    assert call["type"] == "function_call"
    assert call["arguments"] == {"location": "Paris", "unit": "weather"}
    assert call["arguments"] == arguments_for(tool, prompt)
    deltas = [
        json.loads(line[len("data: ") :])
        for line in streamed.splitlines()
        if line.startswith("data: {") and "arguments_delta" in line
    ]
    assert json.loads("".join(d["delta"]["arguments"] for d in deltas)) == call["arguments"]
