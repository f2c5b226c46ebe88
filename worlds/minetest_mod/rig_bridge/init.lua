-- rig_bridge: the server side of RIG's Minetest worlds (rig/worlds/minetest.py).
--
-- Role in the data flow: Python writes one command at a time to <world>/rig_cmd.json (an atomic
-- rename); this mod reads it on the next server step, performs it for the one player with the
-- engine's own rules (node_dig, item_place_node, the craft registry, dig times from tool
-- capabilities), and answers in <world>/rig_out.json with the privileged state. A HUD strip
-- below the picture shows a colour that names the command's id, so that Python knows which
-- rendered frame already shows the command's outcome (the client draws asynchronously).
--
-- Actions are discrete: moves go one node (with a step up of one node and a fall of up to
-- MAX_DROP), turns are 45 degrees, digging accumulates the engine's dig time over actions,
-- crafting takes ingredients from the inventory (3x3 recipes need a crafting table within
-- REACH nodes), smelting needs a furnace within REACH and fuel.

local WORLD = minetest.get_worldpath()
local CMD, OUT = WORLD .. "/rig_cmd.json", WORLD .. "/rig_out.json"
local REACH = 4            -- nodes: pointing range, and how near a table/furnace must be
local DIG_SECONDS = 0.5    -- digging time one `dig` action contributes
local MAX_DROP = 3         -- nodes a move may step down; a deeper drop is refused (a cliff)
local SCAN = 24            -- half side of the cube searched for the nearest resources
local MARKER_PERCENT = tonumber(minetest.settings:get("rig_marker_percent") or "6")
local STEPS_PER_DAY = tonumber(minetest.settings:get("rig_steps_per_day") or "1200")
local MARKERS = {"#ff0000", "#00ff00", "#0000ff", "#ffff00", "#ff00ff", "#00ffff", "#ffffff",
                 "#000000"}

-- Quiet, empty screen: no status line, join message or builtin HUD.
minetest.get_server_status = function() return "" end
minetest.send_join_message = function() end
minetest.send_leave_message = function() end

-- Liquids drawn without their texture animation: an animated tile changes with the wall clock
-- the client draws at, and the frame of a step would depend on how fast the machine is.
local STILL = {water = "default_water.png", river_water = "default_river_water.png",
               lava = "default_lava.png"}
local function still_tiles(tiles, texture)
  local out = {}
  for i, tile in ipairs(tiles or {}) do
    if type(tile) == "table" then
      out[i] = table.copy(tile)
      out[i].name, out[i].animation = texture, nil
    else
      out[i] = texture
    end
  end
  return out
end
for liquid, texture in pairs(STILL) do
  for _, kind in ipairs({"source", "flowing"}) do
    local name = "default:" .. liquid .. "_" .. kind
    local def = minetest.registered_nodes[name]
    if def then
      minetest.override_item(name, {tiles = still_tiles(def.tiles, texture),
                                    special_tiles = still_tiles(def.special_tiles, texture)})
    end
  end
end

-- Iron as deep as in Minecraft (and in Minetest's own v6 map generator): v7 puts it below
-- y = -128 only, a dig of ~140 nodes that wears out several pickaxes before the first ore.
minetest.register_ore({
  ore_type = "scatter", ore = "default:stone_with_iron", wherein = "default:stone",
  clust_scarcity = 9 * 9 * 9, clust_num_ores = 5, clust_size = 3, y_max = 0, y_min = -127,
})

minetest.register_node("rig_bridge:crafting_table", {
  description = "Crafting table",
  tiles = {"default_wood.png^default_tool_woodpick.png", "default_wood.png",
           "default_wood.png^default_stick.png"},
  groups = {choppy = 2, oddly_breakable_by_hand = 2, flammable = 2},
  sounds = default.node_sound_wood_defaults(),
})
minetest.register_craft({
  output = "rig_bridge:crafting_table",
  recipe = {{"group:wood", "group:wood"}, {"group:wood", "group:wood"}},
})

-- The player's headlamp: an invisible light in the air cell of the player's head, moved with
-- the player. Minetest draws light level 0 pitch black (since 5.0), so without it every frame
-- of a shaft dug into stone, where the tech tree leads, is black (58% of an expert's frames
-- over 300 steps); Minecraft never draws a cave fully black. Not walkable, pointable or
-- diggable, so moves, digging, placing and the resource scan see the cell as air.
local LAMP = "rig_bridge:lamp"
local LAMP_LIGHT = tonumber(minetest.settings:get("rig_lamp_light") or "12")
minetest.register_node(LAMP, {
  description = "Headlamp light", drawtype = "airlike", paramtype = "light",
  light_source = LAMP_LIGHT, sunlight_propagates = true, walkable = false, pointable = false,
  diggable = false, buildable_to = true, floodable = true, drop = "",
  groups = {not_in_creative_inventory = 1},
})

-- achievements are unlocked by name here; their list and order belong to worlds/minetest.py
-- collect achievements: what held item unlocks which
local COLLECT = {["group:tree"] = "collect_log", ["default:cobble"] = "collect_cobblestone",
                 ["default:coal_lump"] = "collect_coal", ["default:iron_lump"] = "collect_iron"}

-- what each craft/place/smelt action makes
local CRAFTS = {
  -- planks of whichever wood the logs held are (the first recipe the inventory satisfies)
  craft_planks = {output = {"default:wood", "default:junglewood", "default:pine_wood",
                            "default:acacia_wood", "default:aspen_wood"},
                  from = "group:tree", achievement = "craft_planks"},
  craft_sticks = {output = "default:stick", achievement = "craft_sticks"},
  craft_table = {output = "rig_bridge:crafting_table", achievement = "craft_table"},
  craft_wooden_pickaxe = {output = "default:pick_wood", achievement = "craft_wooden_pickaxe"},
  craft_stone_pickaxe = {output = "default:pick_stone", achievement = "craft_stone_pickaxe"},
  craft_furnace = {output = "default:furnace", achievement = "craft_furnace"},
}
local PLACES = {
  place_table = {item = "rig_bridge:crafting_table", achievement = "place_table"},
  place_furnace = {item = "default:furnace", achievement = "place_furnace"},
  place_block = {items = {"default:cobble", "default:dirt", "default:wood"}},
}
local RESOURCES = {
  tree = {"group:tree"}, stone = {"default:stone"}, coal = {"default:stone_with_coal"},
  iron = {"default:stone_with_iron"}, water = {"group:water"},
  table = {"rig_bridge:crafting_table"}, furnace = {"default:furnace", "default:furnace_active"},
  lava = {"group:lava"},
}

local episode = {id = -1, marker = nil, achievements = {}, unlocked = {}, dig = nil,
                 message = "", pending = nil, busy = false, step = 0,
                 start_time = 0.3}

local function player()
  return minetest.get_connected_players()[1]
end

local function unlock(name)
  if not episode.achievements[name] then
    episode.achievements[name] = true
    table.insert(episode.unlocked, name)
  end
end

local function has_group(itemname, group)
  local def = minetest.registered_items[itemname]
  return def and def.groups and (def.groups[group] or 0) > 0
end

local function matches(itemname, want)
  if want:sub(1, 6) == "group:" then
    for group in want:sub(7):gmatch("[^,]+") do
      if not has_group(itemname, group) then return false end
    end
    return true
  end
  return itemname == want
end

local function counts(inv)
  local out = {}
  for _, stack in ipairs(inv:get_list("main")) do
    if not stack:is_empty() then
      out[stack:get_name()] = (out[stack:get_name()] or 0) + stack:get_count()
    end
  end
  return out
end

-- note a collect achievement for every item now held
local function note_collected(inv)
  for itemname, _ in pairs(counts(inv)) do
    for want, achievement in pairs(COLLECT) do
      if matches(itemname, want) then unlock(achievement) end
    end
  end
end

-- The mod holds the player's pose (feet cell, 45-degree yaw and pitch steps) and pushes it to
-- the engine after every action: the client reports its own pose back a little late, so reading
-- it from the engine would see the previous action's pose.
local pose = {pos = {x = 0, y = 0, z = 0}, yaw = 0, pitch = 0}
local spawn   -- the episode's start, set at server start (below)

-- The client moves its own player: no walking, jumping or falling of its own. Sent again at
-- every reset: under load the first one can reach the client before the player's object does,
-- and is lost (the client then falls through ground it has not yet received).
local function hold_still(p)
  p:set_physics_override({speed = 0, jump = 0, gravity = 0, sneak = false})
  local velocity = p:get_velocity()
  if vector.length(velocity) > 0 then p:add_velocity(vector.multiply(velocity, -1)) end
end

-- A step's picture must show its pose. The client draws a new look one frame late (it turns
-- its camera at the start of the frame after the one that received the look, while a HUD
-- change shows in the frame that receives it), and the pose travels on another network
-- channel than the HUD marker, so either can arrive first. A step that changes the pose
-- therefore holds its marker until the client has reported the new pose, which it does from
-- the frame that draws it. To tell that report from the mod's own setting and from reports
-- of earlier poses, the yaw is set a tag off its 45-degree step, alternating between steps:
-- the client reports its look in hundredths of a degree, so 0.015 and 0.035 degrees come back
-- as 0.01 and 0.03 (at 64 pixels, 0.03 of a pixel: no picture changes).
local YAW_TAGS = {0.015, 0.035}
local yaw_tag = 1

local function apply_pose(p)
  p:set_pos({x = pose.pos.x, y = pose.pos.y - 0.5, z = pose.pos.z})
  p:set_look_vertical(pose.pitch * math.pi / 4)
  -- last: its packet carries the whole pose
  p:set_look_horizontal(math.rad(45 * pose.yaw + YAW_TAGS[yaw_tag]))
end

-- the yaw (radians) the client reports once it draws the pose set last
local function yaw_report()
  return math.rad(math.floor((45 * pose.yaw + YAW_TAGS[yaw_tag]) * 100) / 100)
end

local function look_dir()
  local yaw, pitch = pose.yaw * math.pi / 4, pose.pitch * math.pi / 4
  return {x = -math.sin(yaw) * math.cos(pitch), y = -math.sin(pitch),
          z = math.cos(yaw) * math.cos(pitch)}
end

local function eye(p)
  local height = p:get_properties().eye_height or 1.47
  return {x = pose.pos.x, y = pose.pos.y - 0.5 + height, z = pose.pos.z}
end

-- the node the player points at (within REACH), with the empty cell in front of its face
local function pointed(p)
  local from = eye(p)
  local to = vector.add(from, vector.multiply(look_dir(), REACH))
  for hit in minetest.raycast(from, to, false, false) do
    if hit.type == "node" then
      local node = minetest.get_node(hit.under)
      local def = minetest.registered_nodes[node.name]
      if node.name ~= "air" and def and def.pointable ~= false then
        return hit.under, hit.above, node
      end
    end
  end
  return nil
end

local function walkable(pos)
  local name = minetest.get_node(pos).name
  local def = minetest.registered_nodes[name]
  return name == "ignore" or def == nil or def.walkable ~= false   -- not yet loaded: solid
end

local function liquid(pos)
  local def = minetest.registered_nodes[minetest.get_node(pos).name]
  return def ~= nil and def.liquidtype ~= nil and def.liquidtype ~= "none"
end

local function heading()
  local yaw = pose.yaw * math.pi / 4
  return math.floor(-math.sin(yaw) + 0.5), math.floor(math.cos(yaw) + 0.5)
end

-- fall from the feet cell onto the first walkable node below (at most `limit` nodes)
local function fall(pos, limit)
  local drop = 0
  while drop <= limit and not walkable({x = pos.x, y = pos.y - 1, z = pos.z}) do
    pos.y, drop = pos.y - 1, drop + 1
  end
  return drop <= limit
end

-- one node in direction (dx, dz): step up one node if needed, fall up to MAX_DROP
local function move(dx, dz)
  local pos = pose.pos
  if dx ~= 0 and dz ~= 0 then
    -- no cutting corners: both orthogonal neighbours must be passable at body height
    for _, side in ipairs({{x = dx, z = 0}, {x = 0, z = dz}}) do
      local q = {x = pos.x + side.x, y = pos.y, z = pos.z + side.z}
      if walkable(q) or walkable({x = q.x, y = q.y + 1, z = q.z}) then
        return "blocked"
      end
    end
  end
  local target = {x = pos.x + dx, y = pos.y, z = pos.z + dz}
  if liquid(target) then return "water" end
  if walkable(target) then
    local up = {x = target.x, y = target.y + 1, z = target.z}
    local head = {x = pos.x, y = pos.y + 2, z = pos.z}
    if walkable(up) or walkable({x = up.x, y = up.y + 1, z = up.z}) or walkable(head) then
      return "blocked"
    end
    target = up
  elseif walkable({x = target.x, y = target.y + 1, z = target.z}) then
    return "blocked"
  elseif not fall(target, MAX_DROP) then
    return "cliff"
  end
  if liquid(target) then return "water" end   -- no swimming: water is walked around
  pose.pos = target
  return "moved"
end

local function best_tool(p, node)
  -- the tool (or the hand) that digs `node` fastest, from the inventory
  local inv = p:get_inventory()
  local groups = minetest.registered_nodes[node.name].groups or {}
  local hand = minetest.registered_items[""].tool_capabilities
  local best, best_params = nil, minetest.get_dig_params(groups, hand)
  for index, stack in ipairs(inv:get_list("main")) do
    local caps = stack:get_tool_capabilities()
    if not stack:is_empty() and caps then
      local params = minetest.get_dig_params(groups, caps)
      if params.diggable and (not best_params.diggable or params.time < best_params.time) then
        best, best_params = index, params
      end
    end
  end
  return best, best_params
end

local function dig(p)
  local under, _, node = pointed(p)
  if not under then
    episode.dig = nil
    return "nothing in reach"
  end
  local index, params = best_tool(p, node)
  if not params.diggable then
    episode.dig = nil
    return "cannot dig " .. node.name .. " with what you hold"
  end
  local key = minetest.pos_to_string(under)
  if not episode.dig or episode.dig.key ~= key then
    episode.dig = {key = key, done = 0}
  end
  episode.dig.done = episode.dig.done + DIG_SECONDS
  if episode.dig.done + 1e-6 < params.time then
    return "digging"
  end
  episode.dig = nil
  -- the engine digs with the wielded stack: bring the best tool into the wielded slot
  local inv = p:get_inventory()
  local wield = p:get_wield_index()
  if index and index ~= wield then
    local list = inv:get_list("main")
    list[wield], list[index] = list[index], list[wield]
    inv:set_list("main", list)
  end
  minetest.node_dig(under, node, p)
  episode.nodes_changed = true
  note_collected(inv)
  fall(pose.pos, 256)   -- dug the node underfoot: land on what is below
  return "dug " .. node.name
end

-- how many held items match `want` (an item or group:name), from counts(inv)
local function held(have, want)
  local n = 0
  for name, count in pairs(have) do
    if matches(name, want) then n = n + count end
  end
  return n
end

local function take(inv, want, n)
  -- remove n items matching `want`; false if not enough
  if held(counts(inv), want) < n then return false end
  local list = inv:get_list("main")
  for i, stack in ipairs(list) do
    if n > 0 and matches(stack:get_name(), want) then
      local k = math.min(n, stack:get_count())
      stack:take_item(k)
      list[i], n = stack, n - k
    end
  end
  inv:set_list("main", list)
  return true
end

local function near(names)
  local pos = pose.pos
  local r = {x = REACH, y = REACH, z = REACH}
  return #minetest.find_nodes_in_area(vector.subtract(pos, r), vector.add(pos, r), names) > 0
end

local function craft(p, spec)
  local inv = p:get_inventory()
  local recipes = {}
  local outputs = type(spec.output) == "table" and spec.output or {spec.output}
  for _, output in ipairs(outputs) do
    for _, recipe in ipairs(minetest.get_all_craft_recipes(output) or {}) do
      -- `from`: only recipes made of that (planks from logs, not from slabs)
      local usable = true
      for _, item in pairs(recipe.items) do
        if spec.from and item ~= "" and not (item == spec.from or matches(item, spec.from)) then
          usable = false
        end
      end
      if usable then table.insert(recipes, recipe) end
    end
  end
  local why = "no recipe"
  for _, recipe in ipairs(recipes) do
    if recipe.method == "normal" then
      local need, big = {}, false
      for slot, item in pairs(recipe.items) do
        if item ~= "" then
          need[item] = (need[item] or 0) + 1
          local col = (recipe.width > 0) and ((slot - 1) % recipe.width) or 0
          local row = (recipe.width > 0) and math.floor((slot - 1) / recipe.width) or 0
          if col >= 2 or row >= 2 or (recipe.width == 0 and slot > 4) then big = true end
        end
      end
      if big and not near(RESOURCES.table) then
        why = "needs a crafting table nearby"
      else
        local enough, missing = true, nil
        local have = counts(inv)
        for item, n in pairs(need) do
          if held(have, item) < n then enough, missing = false, item end
        end
        if enough then
          for item, n in pairs(need) do take(inv, item, n) end
          inv:add_item("main", ItemStack(recipe.output))
          unlock(spec.achievement)
          return "crafted " .. recipe.output
        end
        if not why:find("^missing") then why = "missing " .. missing end
      end
    end
  end
  return why
end

local function place(p, spec)
  local under, above = pointed(p)
  if not under then return "nothing to place against" end
  local inv = p:get_inventory()
  local item = spec.item
  if spec.items then
    for _, name in ipairs(spec.items) do
      if inv:contains_item("main", ItemStack(name)) then item = name break end
    end
  end
  if not item or not inv:contains_item("main", ItemStack(item)) then
    return "nothing to place"
  end
  local pos = pose.pos
  if (above.x == pos.x and above.z == pos.z and (above.y == pos.y or above.y == pos.y + 1))
      or walkable(above) then
    return "no room to place"
  end
  minetest.set_node(above, {name = item})
  episode.nodes_changed = true
  take(inv, item, 1)
  if spec.achievement then unlock(spec.achievement) end
  return "placed " .. item
end

local function smelt(p)
  if not near(RESOURCES.furnace) then return "needs a furnace nearby" end
  local inv = p:get_inventory()
  if not inv:contains_item("main", ItemStack("default:iron_lump")) then return "no iron lump" end
  local fuel = nil
  for _, name in ipairs({"default:coal_lump", "default:wood", "default:stick"}) do
    if inv:contains_item("main", ItemStack(name)) then fuel = name break end
  end
  if not fuel then return "no fuel" end
  local out = minetest.get_craft_result({method = "cooking", width = 1,
                                         items = {"default:iron_lump"}})
  take(inv, "default:iron_lump", 1)
  take(inv, fuel, 1)
  inv:add_item("main", out.item)
  unlock("smelt_iron")
  return "smelted " .. out.item:get_name()
end

local ACTIONS = {
  noop = function() return "" end,
  forward = function() local dx, dz = heading() return move(dx, dz) end,
  back = function() local dx, dz = heading() return move(-dx, -dz) end,
  strafe_left = function() local dx, dz = heading() return move(-dz, dx) end,
  strafe_right = function() local dx, dz = heading() return move(dz, -dx) end,
  turn_left = function() pose.yaw = (pose.yaw + 1) % 8 return "" end,
  turn_right = function() pose.yaw = (pose.yaw - 1) % 8 return "" end,
  look_up = function() pose.pitch = math.max(pose.pitch - 1, -2) return "" end,
  look_down = function() pose.pitch = math.min(pose.pitch + 1, 2) return "" end,
  dig = dig,
  smelt_iron = smelt,
}
for name, spec in pairs(CRAFTS) do ACTIONS[name] = function(p) return craft(p, spec) end end
for name, spec in pairs(PLACES) do ACTIONS[name] = function(p) return place(p, spec) end end

-- every node name RESOURCES asks for, for one scan of the area per step
local RESOURCE_NAMES = {}
for _, names in pairs(RESOURCES) do
  for _, name in ipairs(names) do table.insert(RESOURCE_NAMES, name) end
end

-- The scan of the cube costs tens of milliseconds (56 of a step's ~105 on a 2.45 GHz core,
-- 2026-12-07): its answer is kept while the player stands where it stood and the mod changed no
-- node, and redone at least every RESCAN_STEPS answers, for what the world changes on its own
-- (saplings growing, liquids flowing)
local RESCAN_STEPS = 10
local scanned = {at = nil, answers = 0, found = nil}

local function nearest()
  local pos = pose.pos
  if episode.nodes_changed or not scanned.at or not vector.equals(scanned.at, pos)
      or scanned.answers >= RESCAN_STEPS then
    scanned.at, scanned.answers, scanned.found = vector.new(pos), 0, nil
  end
  scanned.answers = scanned.answers + 1
  if scanned.found then return scanned.found end
  local r = {x = SCAN, y = SCAN, z = SCAN}
  local found = minetest.find_nodes_in_area(vector.subtract(pos, r), vector.add(pos, r),
                                            RESOURCE_NAMES, true)   -- grouped by node name
  local best, best_d = {}, {}
  for name, positions in pairs(found) do
    for key, wants in pairs(RESOURCES) do
      for _, want in ipairs(wants) do
        if matches(name, want) then
          for _, q in ipairs(positions) do
            local d = vector.distance(pos, q)
            if d < (best_d[key] or math.huge) then best[key], best_d[key] = q, d end
          end
        end
      end
    end
  end
  local out = {}
  for key, q in pairs(best) do out[key] = {q.x, q.y, q.z} end
  scanned.found = out
  return out
end

local function state(p, reply)
  local pos = {x = pose.pos.x, y = pose.pos.y - 0.5, z = pose.pos.z}
  local under, _, node = pointed(p)
  reply.pos = {pos.x, pos.y, pos.z}
  reply.yaw = 45 * pose.yaw
  reply.pitch = 45 * pose.pitch
  reply.hp, reply.breath = p:get_hp(), p:get_breath()
  reply.inventory = counts(p:get_inventory())
  reply.achievements = episode.achievements   -- name -> true, for those unlocked
  reply.unlocked = episode.unlocked
  reply.pointed = under and {name = node.name, pos = {under.x, under.y, under.z}} or nil
  reply.nearest = nearest()
  reply.time_of_day = minetest.get_timeofday()
  reply.step = episode.step
  reply.message = episode.message
  return reply
end

-- A plain sky whose colour the mod sets from the time of day: the engine's own sky eases its
-- colours over rendered frames, so the same step would look different on a slower machine.
local DAY_SKY = {r = 97, g = 181, b = 245}
-- the engine's day-night light ratio (src/daynightratio.h; not in 5.6's Lua API), 0.175..1
local RATIO = {{4375, 175}, {4625, 175}, {4875, 250}, {5125, 350}, {5375, 500}, {5625, 675},
               {5875, 875}, {6125, 1000}, {6375, 1000}}
local function daylight(time_of_day)
  local t = (time_of_day % 1) * 24000
  if t > 12000 then t = 24000 - t end
  if t <= 4625 then return 0.175 elseif t >= 6125 then return 1 end
  for i = 2, #RATIO do
    if RATIO[i][1] > t then
      local f = (t - RATIO[i - 1][1]) / (RATIO[i][1] - RATIO[i - 1][1])
      return (f * RATIO[i][2] + (1 - f) * RATIO[i - 1][2]) / 1000
    end
  end
  return 1
end

local sky_colour = nil
local function update_sky(p)
  local light = daylight(minetest.get_timeofday())
  local colour = {r = math.floor(DAY_SKY.r * light + 0.5), g = math.floor(DAY_SKY.g * light + 0.5),
                  b = math.floor(DAY_SKY.b * light + 0.5)}
  local key = colour.r * 65536 + colour.g * 256 + colour.b
  if key ~= sky_colour then
    p:set_sky({type = "plain", base_color = colour, clouds = false})
    sky_colour = key
  end
end

local function remove_lamp()
  if episode.lamp and minetest.get_node(episode.lamp).name == LAMP then
    minetest.set_node(episode.lamp, {name = "air"})
  end
  episode.lamp = nil
end

-- the lamp follows the head cell; a head cell that holds anything but air or the lamp goes unlit.
-- The new cell is lit before the old one is put out: the client applies the two changes (and
-- re-meshes their blocks) one after the other, and a frame it draws in between must still have
-- a light beside the player (a frame drawn between "old out" and "new in" was dark underground:
-- the frame-sync race of issue 24)
local function update_lamp()
  local head = {x = pose.pos.x, y = pose.pos.y + 1, z = pose.pos.z}
  local old = episode.lamp
  episode.lamp = nil
  local here = minetest.get_node(head).name
  if LAMP_LIGHT > 0 and (here == "air" or here == LAMP) then
    if here == "air" then
      minetest.set_node(head, {name = LAMP})
      episode.nodes_changed = true
    end
    episode.lamp = head
  end
  if old and not (episode.lamp and vector.equals(old, episode.lamp))
      and minetest.get_node(old).name == LAMP then
    minetest.set_node(old, {name = "air"})
    episode.nodes_changed = true
  end
end

local function answer(reply)
  minetest.safe_file_write(OUT, minetest.write_json(reply))
end

local function set_marker(p, id)
  local text = "default_cloud.png^[colorize:" .. MARKERS[(id % #MARKERS) + 1] .. ":255"
  if not episode.marker then
    episode.marker = p:hud_add({hud_elem_type = "image", position = {x = 0, y = 1},
                                 alignment = {x = 1, y = -1}, offset = {x = 0, y = 0},
                                 scale = {x = -100, y = -MARKER_PERCENT}, text = text, z_index = 1000})
  else
    p:hud_change(episode.marker, "text", text)
  end
end

local function reset(p, cmd)
  -- the player at the map's spawn, as a new player: full health, empty inventory, a seeded look
  local inv = p:get_inventory()
  inv:set_list("main", {})
  inv:set_list("craft", {})
  p:set_hp(p:get_properties().hp_max or 20)
  p:set_breath(p:get_properties().breath_max or 10)
  hold_still(p)
  pose.pos, pose.yaw, pose.pitch = vector.new(spawn), (cmd.heading or 0) % 8, 0
  fall(pose.pos, 64)
  episode.start_time = cmd.time_of_day or 0.3
  minetest.set_timeofday(episode.start_time)
  update_sky(p)
  episode.achievements, episode.unlocked, episode.dig, episode.step = {}, {}, nil, 0
end

-- a digest of the nodes within `radius` of the spawn: the same seed must give the same map
local function map_digest(radius)
  local vm = minetest.get_voxel_manip()
  local r = {x = radius, y = radius, z = radius}
  local data = {}
  vm:read_from_map(vector.subtract(spawn, r), vector.add(spawn, r))
  vm:get_data(data)
  local h = 0
  for i = 1, #data do h = (h * 31 + data[i]) % 2147483629 end
  return h
end

local function handle(p, cmd)
  local reply = {id = cmd.id}
  if cmd.op == "reset" then
    scanned.at = nil   -- a new map: scan it afresh
    remove_lamp()   -- the map digest reads no lamp
    reset(p, cmd)
    reply.map_digest = map_digest(16)
    apply_pose(p)
    update_lamp()
    episode.busy = true
    -- give the client a moment to receive and mesh the blocks around it. A client that has
    -- fallen (see hold_still) draws the start from below the ground: it is stopped and put
    -- back until it reports the pose at rest, so that a seed gives the same first frame
    -- however busy the machine is
    local function settle(tries)
      minetest.after(cmd.settle or 1.0, function()
        local q = player()
        local feet = {x = pose.pos.x, y = pose.pos.y - 0.5, z = pose.pos.z}
        if q and tries > 0 and (vector.distance(q:get_pos(), feet) > 0.01
                                or vector.length(q:get_velocity()) > 0.01) then
          hold_still(q)
          apply_pose(q)
          return settle(tries - 1)
        end
        episode.busy = false
        episode.message = ""
        episode.pending = {id = cmd.id, reply = reply}
      end)
    end
    settle(20)
    return nil
  elseif cmd.op == "step" then
    local action = ACTIONS[cmd.action]
    local before = {pos = vector.new(pose.pos), yaw = pose.yaw, pitch = pose.pitch}
    episode.unlocked, episode.nodes_changed = {}, false
    if not action then
      episode.message = "unknown action " .. tostring(cmd.action)
    else
      if cmd.action ~= "dig" then episode.dig = nil end
      episode.message = action(p) or ""
    end
    local moved = not vector.equals(before.pos, pose.pos) or pose.yaw ~= before.yaw
        or pose.pitch ~= before.pitch
    if moved then yaw_tag = 3 - yaw_tag end
    apply_pose(p)
    -- its marker waits for the client's report of the new pose (see YAW_TAGS)
    if moved then episode.awaited_yaw = yaw_report() end
    update_lamp()
    episode.step = episode.step + 1
    -- daylight follows steps, not the wall clock (time_speed = 0)
    minetest.set_timeofday((episode.start_time + episode.step / STEPS_PER_DAY) % 1)
    update_sky(p)
    -- nodes changed (dug, placed, the lamp moved): the client re-meshes and re-lights their
    -- blocks in the background, after the marker; the world waits for the picture to settle
    reply.remeshed = episode.nodes_changed
    return reply
  elseif cmd.op == "state" then
    return reply
  end
  reply.error = "unknown op " .. tostring(cmd.op)
  return reply
end

-- The spawn point and the map around it are made at server start, before the client asks for
-- any block: map chunks generated in another order place trees that cross chunk borders
-- differently, and the client's requests follow the network's timing.
local EMERGE_RADIUS = tonumber(minetest.settings:get("rig_emerge_radius") or "40")
local map_ready = false

-- biomes where trees grow close together: the tech tree starts with wood, as MineRL's worlds do
local WOODED = {deciduous_forest = true, coniferous_forest = true, rainforest = true,
                savanna = true, taiga = true}

local function find_spawn()
  -- the nearest point to the origin, on a square spiral of 16-node steps, where the map
  -- generator would put a player (dry land, not too high), in a wooded biome if one is within
  -- the first 48 rings (the biome and spawn level come from noise: nothing is generated)
  local first = nil
  for ring = 0, 48 do
    for i = -ring, ring do
      for _, xz in ipairs({{i, -ring}, {i, ring}, {-ring, i}, {ring, i}}) do
        local x, z = xz[1] * 16, xz[2] * 16
        local y = minetest.get_spawn_level(x, z)
        if y then
          local point = {x = x, y = y, z = z}
          local biome = minetest.get_biome_data(point)
          if biome and WOODED[minetest.get_biome_name(biome.biome)] then return point end
          first = first or point
        end
      end
    end
  end
  return first or {x = 0, y = 32, z = 0}
end

-- the feet cell of the highest standing place in the column at `at` that is on the ground
-- (not on a tree's leaves or trunk) with room for the body, within 24 nodes of `at`
local function on_ground(at)
  for y = at.y + 24, at.y - 24, -1 do
    local below = minetest.get_node({x = at.x, y = y - 1, z = at.z}).name
    local groups = (minetest.registered_nodes[below] or {}).groups or {}
    if walkable({x = at.x, y = y - 1, z = at.z}) and below ~= "ignore"
        and not groups.leaves and not groups.tree
        and minetest.get_node({x = at.x, y = y, z = at.z}).name == "air"
        and minetest.get_node({x = at.x, y = y + 1, z = at.z}).name == "air" then
      return {x = at.x, y = y, z = at.z}
    end
  end
  return nil
end

-- The start: dry ground near the map generator's spawn point, a few nodes from a tree trunk if
-- one grows within 48 nodes (the tech tree starts with wood), searched in a fixed order.
local function choose_start(center)
  local r = {x = 48, y = 24, z = 48}
  local trees = minetest.find_nodes_in_area(vector.subtract(center, r), vector.add(center, r),
                                            {"group:tree"})
  table.sort(trees, function(a, b)
    local da, db = vector.distance(a, center), vector.distance(b, center)
    if da ~= db then return da < db end
    return minetest.hash_node_position(a) < minetest.hash_node_position(b)
  end)
  for i = 1, math.min(#trees, 64) do
    local tree = trees[i]
    for _, offset in ipairs({{3, 0}, {0, 3}, {-3, 0}, {0, -3}, {3, 3}, {-3, 3}, {3, -3},
                             {-3, -3}, {5, 0}, {0, 5}, {-5, 0}, {0, -5}}) do
      local cell = on_ground({x = tree.x + offset[1], y = tree.y + 4, z = tree.z + offset[2]})
      if cell and math.abs(cell.y - tree.y) <= 2 then return cell end
    end
  end
  return on_ground(center) or center
end

minetest.after(0, function()
  spawn = find_spawn()
  local r = {x = EMERGE_RADIUS, y = EMERGE_RADIUS, z = EMERGE_RADIUS}
  minetest.emerge_area(vector.subtract(spawn, r), vector.add(spawn, r), function(_, _, remaining)
    if remaining == 0 then
      spawn = choose_start(spawn)
      map_ready = true
      minetest.safe_file_write(WORLD .. "/rig_ready", minetest.pos_to_string(spawn))
    end
  end)
end)

local joined = false
minetest.register_on_joinplayer(function(p)
  p:hud_set_flags({hotbar = false, healthbar = false, crosshair = false, wielditem = false,
                   breathbar = false, minimap = false, minimap_radar = false,
                   basic_debug = false})
  hold_still(p)
  p:set_sun({visible = false, sunrise_visible = false})
  p:set_moon({visible = false})
  p:set_stars({visible = false})
  update_sky(p)
  set_marker(p, -1)
  -- straight to the start (the client joins once its map is generated), so the blocks it is
  -- sent first are the ones it will show
  pose.pos, pose.yaw, pose.pitch = vector.new(spawn), 0, 0
  fall(pose.pos, 64)
  apply_pose(p)
  joined = true
end)

local pending_marker = nil
-- at most this many server steps (0.01 s each) for the client's report of a new pose: a
-- report that never comes costs this much, not a stuck step
local POSE_WAIT_STEPS = 50
minetest.register_globalstep(function()
  local p = player()
  if not p or not joined then return end
  -- the reply of the previous server step: its marker goes out one step after the action, so
  -- that the client has the action's changes before it draws the marker, and after a pose
  -- change not before the client has reported drawing the new pose (see YAW_TAGS)
  local awaited = pending_marker and pending_marker.awaited_yaw
  if awaited and pending_marker.waited < POSE_WAIT_STEPS
      and math.abs((p:get_look_horizontal() - awaited + math.pi) % (2 * math.pi) - math.pi)
          > math.rad(0.004) then
    pending_marker.waited = pending_marker.waited + 1   -- not drawn yet
    return
  end
  if pending_marker then
    set_marker(p, pending_marker.id)
    answer(state(p, pending_marker.reply))
    pending_marker = nil
  end
  if episode.pending then
    pending_marker, episode.pending = episode.pending, nil
    return
  end
  if episode.busy or not map_ready then return end
  local file = io.open(CMD, "r")
  if not file then return end
  local text = file:read("*a")
  file:close()
  os.remove(CMD)
  local cmd = minetest.parse_json(text)
  if type(cmd) ~= "table" or cmd.id == nil then
    answer({id = -1, error = "malformed command: " .. text:sub(1, 80)})
    return
  end
  episode.awaited_yaw = nil
  local reply = handle(p, cmd)
  if reply then
    pending_marker = {id = cmd.id, reply = reply, awaited_yaw = episode.awaited_yaw, waited = 0}
  end
end)
